namespace Workers.Tests.Processes;

/// <summary>Tests of the process-wide pass over <c>/proc</c>, run alone: see <see cref="StoppedProcessGroupsTests"/>.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StoppedProcessGroupsCollection
{
    public const string Name = "Stopped process groups";
}

namespace Workers.IntegrationTests.RealClis;

/// <summary>The real agent CLIs run one test at a time: each starts node processes of 100–300 MB on a 2-core machine, and
/// their latencies are part of what the tests check.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealClisCollection
{
    public const string Name = "RealClis";
}

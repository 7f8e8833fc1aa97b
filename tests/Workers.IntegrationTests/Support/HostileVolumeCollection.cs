namespace Workers.IntegrationTests.Support;

/// <summary>The tests that measure what a flooding or oversized agent costs the service in memory run alone: the measure is the
/// whole test process's (<see cref="MemoryProbe"/>), so another test running beside them would count in it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostileVolumeCollection
{
    public const string Name = "HostileVolume";
}

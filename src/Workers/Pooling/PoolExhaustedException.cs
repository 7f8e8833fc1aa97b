namespace Workers.Pooling;

/// <summary>No process became available within <c>LeaseTimeout</c>.</summary>
public sealed class PoolExhaustedException(string profile, int maxProcesses, TimeSpan leaseTimeout)
    : Exception($"Pool '{profile}' had no process for {leaseTimeout} (LeaseTimeout); all {maxProcesses} (MaxProcesses) are busy. " +
        "Raise Pool:MaxProcesses or lower the load.")
{
    public string Profile { get; } = profile;
}

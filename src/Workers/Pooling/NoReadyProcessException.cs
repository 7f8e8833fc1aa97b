namespace Workers.Pooling;

/// <summary>A <see cref="LeaseRequest.ReadyOnly"/> lease found no ready process it could take at once.</summary>
public sealed class NoReadyProcessException(string profile)
    : Exception($"Pool '{profile}' had no ready process free for a turn that takes only a ready one (a canary); it was not run.")
{
    public string Profile { get; } = profile;
}

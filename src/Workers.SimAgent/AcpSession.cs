namespace Workers.SimAgent;

/// <summary>A session open in this process (created, loaded or resumed here); only open sessions accept prompts.</summary>
internal sealed class AcpSession(StoredSession stored)
{
    public StoredSession Stored => stored;

    /// <summary>The model <c>session/set_config_option</c> chose; every session opens (or reopens) at the default.</summary>
    public string Model { get; set; } = AcpModelOption.Default;

    /// <summary>Serialises prompts: ACP v1 leaves concurrent prompts on one session unspecified, so they queue.</summary>
    public SemaphoreSlim TurnLock { get; } = new(1, 1);

    /// <summary>The prompts in flight or queued, which <c>session/cancel</c> stops.</summary>
    public CancellationSet Prompts { get; } = new();
}

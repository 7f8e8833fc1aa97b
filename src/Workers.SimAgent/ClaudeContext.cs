namespace Workers.SimAgent;

/// <summary>What every turn of one Claude process shares: its arguments, its session, stdout and the pending permission prompts.</summary>
internal sealed class ClaudeContext(
    ClaudeArgs args, SessionStore store, StoredSession session, ProtocolWriter writer, Task sessionInit)
{
    private int _toolUses;

    public ClaudeArgs Args => args;

    public SessionStore Store => store;

    public StoredSession Session => session;

    public ProtocolWriter Writer => writer;

    /// <summary>The session-init work started right after start-up; the first model request waits for it.</summary>
    public Task SessionInit => sessionInit;

    public string Cwd { get; } = Environment.CurrentDirectory;

    public PendingReplies Replies { get; } = new();

    /// <summary>Numbers tool uses across turns so request and tool-use ids stay unique in the process.</summary>
    public int NextToolUse() => Interlocked.Increment(ref _toolUses);
}

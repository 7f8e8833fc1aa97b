namespace Workers.SimAgent;

/// <summary>One message of a stored conversation.</summary>
/// <param name="Role"><c>user</c> or <c>assistant</c>.</param>
/// <param name="Text">The message text.</param>
internal sealed record StoredMessage(string Role, string Text);

/// <summary>A conversation as persisted in the session directory; its size drives the context-dependent first-token latency.</summary>
internal sealed class StoredSession(string id, string cwd)
{
    public string Id => id;

    public string Cwd => cwd;

    public List<StoredMessage> Messages { get; } = [];

    /// <summary>The context the model reads before this session's next turn, in simulator tokens.</summary>
    public int ContextTokens => Messages.Sum(m => TokenEstimate.Of(m.Text));

    public void AddTurn(string prompt, string reply)
    {
        Messages.Add(new StoredMessage("user", prompt));
        Messages.Add(new StoredMessage("assistant", reply));
    }
}

namespace Workers.Turns;

/// <summary>One message of the producer's transcript: what is replayed when a session cannot be resumed.</summary>
/// <param name="Role"><c>user</c> or <c>assistant</c>.</param>
/// <param name="Text">The message text.</param>
public sealed record TranscriptMessage(string Role, string Text);

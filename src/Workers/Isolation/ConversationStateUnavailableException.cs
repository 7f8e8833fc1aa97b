namespace Workers.Isolation;

/// <summary>A conversation's files could not be brought to the process that is to serve it: a rename failed, or the process that
/// held them did not give them back in time. The turn fails <c>state_unavailable</c>; the files stay where they were.</summary>
public sealed class ConversationStateUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

namespace Workers.Processes;

/// <summary>The agent's executable could not be started; <see cref="Errno"/> names why (ENOENT, EACCES, …).</summary>
public sealed class SpawnFailedException(string errno, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public string Errno { get; } = errno;
}

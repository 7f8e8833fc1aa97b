namespace Workers.Host.Commands;

/// <summary>The exit codes of the verbs that run or follow a turn (the same as <c>workers run</c>).</summary>
internal static class ExitCodes
{
    public const int Succeeded = 0;
    public const int Failed = 1;

    /// <summary>The service answered 4xx/5xx or could not be reached; or the command line or configuration is invalid.</summary>
    public const int Error = 2;

    /// <summary>The turn was cancelled, or the verb was interrupted (128 + SIGINT).</summary>
    public const int Cancelled = 130;

    public static int ForTerminalEvent(string eventType) => eventType switch
    {
        "completed" => Succeeded,
        "cancelled" => Cancelled,
        _ => Failed,
    };
}

namespace Workers.SimAgent;

/// <summary>
/// Everything that is not protocol goes to stderr, because stdout belongs to the protocol (the hosts parse every stdout line).
/// </summary>
internal static class Diagnostics
{
    /// <summary>A simulator note, prefixed so it cannot be mistaken for the real CLI's own wording.</summary>
    public static void Note(string message) => Console.Error.WriteLine("sim-agent: " + message);

    /// <summary>A message worded exactly like the real CLI's, for hosts that match on it.</summary>
    public static void Raw(string message) => Console.Error.WriteLine(message);
}

namespace Workers.SimAgent;

/// <summary>
/// The simulator's token count for a text: one token per four characters, rounded up (close to real tokenisers for English).
/// </summary>
internal static class TokenEstimate
{
    public static int Of(string text) => (text.Length + 3) / 4;
}

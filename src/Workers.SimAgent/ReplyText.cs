namespace Workers.SimAgent;

/// <summary>
/// The deterministic reply: "Echo:", then the prompt's words, then "lorem ipsum dolor sit amet" repeating, cut to the token count.
/// Tests can therefore predict every delta and the final text from the prompt alone.
/// </summary>
internal static class ReplyText
{
    private static readonly string[] Filler = ["lorem", "ipsum", "dolor", "sit", "amet"];

    /// <summary>The deltas: word i, with a single leading space for every word but the first, so their concatenation is the text.</summary>
    public static string[] Tokens(string cleanPrompt, int count)
    {
        var words = cleanPrompt.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var tokens = new string[count];
        for (var i = 0; i < count; i++)
        {
            var word = i == 0 ? "Echo:"
                : i - 1 < words.Length ? words[i - 1]
                : Filler[(i - 1 - words.Length) % Filler.Length];
            tokens[i] = i == 0 ? word : " " + word;
        }

        return tokens;
    }
}

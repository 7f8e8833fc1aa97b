using System.Text;

namespace Workers.Turns;

/// <summary>Builds the prompt of a turn that lost its agent session: the producer's transcript, then the new
/// message. The preamble is fixed text so that, turn after turn, the prompt's prefix stays cacheable.</summary>
public static class TranscriptPrompt
{
    public static string Render(IReadOnlyList<TranscriptMessage> transcript, string prompt)
    {
        if (transcript.Count == 0)
        {
            return prompt;
        }

        var text = new StringBuilder("The conversation so far, replayed because its earlier session is not available:\n\n");
        foreach (var message in transcript)
        {
            text.Append('[').Append(message.Role).Append("]\n").Append(message.Text.TrimEnd()).Append("\n\n");
        }

        return text.Append("[user — the new message]\n").Append(prompt).ToString();
    }
}

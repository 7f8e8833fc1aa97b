using System.Text.Json;

namespace Workers.Chaos;

/// <summary>The simulated agent's tool log (<c>tool-log</c> knob, <c>specs/simagent.md</c>): how many times a tool ran for
/// each turn. The turn is the last <c>chaos-turn:</c> marker of the prompt (a prompt fed the transcript carries the
/// earlier turns' markers before its own).</summary>
internal static class ToolRuns
{
    public static Dictionary<string, int> PerTurn(string? path)
    {
        var runs = new Dictionary<string, int>(StringComparer.Ordinal);
        if (path is null || !File.Exists(path))
        {
            return runs;
        }

        foreach (var line in File.ReadLines(path).Where(l => l.Length > 0))
        {
            var prompt = JsonDocument.Parse(line).RootElement.GetProperty("prompt").GetString() ?? string.Empty;
            var marker = prompt.LastIndexOf(Producer.TurnMarker, StringComparison.Ordinal);
            if (marker < 0)
            {
                continue;
            }

            var start = marker + Producer.TurnMarker.Length;
            var end = prompt.IndexOfAny([' ', '\n'], start);
            var turnId = end < 0 ? prompt[start..] : prompt[start..end];
            runs[turnId] = runs.GetValueOrDefault(turnId) + 1;
        }

        return runs;
    }
}

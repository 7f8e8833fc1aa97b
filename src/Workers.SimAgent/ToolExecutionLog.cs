using System.Text;
using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>The <c>tool-log</c> knob: one JSON line per tool the simulator actually runs (after the host allowed it), with
/// the prompt it ran for, so a chaos run can tell whether a tool call ran twice for one turn (the producer puts the turn
/// id in its prompts). Many processes append to one file: each line is one <c>O_APPEND</c> write, which Linux does not
/// interleave with another process's.</summary>
internal static class ToolExecutionLog
{
    public static void Append(TurnPlan plan, string toolCallId)
    {
        if (plan.ToolLog is not { } path)
        {
            return;
        }

        var line = new JsonObject
        {
            ["time"] = TimeProvider.System.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["pid"] = Environment.ProcessId,
            ["toolCallId"] = toolCallId,
            ["prompt"] = plan.Prompt,
        }.ToJsonString() + "\n";
        // Unbuffered: the line goes out in one write(2), however long the prompt.
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        file.Write(Encoding.UTF8.GetBytes(line));
    }
}

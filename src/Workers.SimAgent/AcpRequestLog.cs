using System.Text;
using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>The <c>request-log</c> knob: one JSON line per ACP request read (<c>{pid, method, params}</c>), so a test can see
/// which requests a host sent, and in which order (which sessions it closed, which model it set); and one line per session
/// it opened (<c>{pid, opened}</c>), since a request does not carry the id its answer gives. Many processes append to
/// one file: each line is one <c>O_APPEND</c> write, which Linux does not interleave with another process's.</summary>
internal static class AcpRequestLog
{
    public static void Append(SimSettings settings, string method, JsonObject parameters) =>
        Write(settings, new JsonObject { ["pid"] = Environment.ProcessId, ["method"] = method, ["params"] = parameters.DeepClone() });

    public static void Opened(SimSettings settings, string sessionId) =>
        Write(settings, new JsonObject { ["pid"] = Environment.ProcessId, ["opened"] = sessionId });

    private static void Write(SimSettings settings, JsonObject entry)
    {
        if (settings.RequestLog is not { } path)
        {
            return;
        }

        var line = entry.ToJsonString() + "\n";
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        file.Write(Encoding.UTF8.GetBytes(line));
    }
}

using System.Text.Json;

namespace Workers.IntegrationTests.Support;

/// <summary>The simulated agent's <c>request-log</c> (<c>SIM_REQUEST_LOG</c>): every ACP request it read, one JSON line each,
/// from every process of a profile.</summary>
public sealed class AcpRequestLogFile(string directory)
{
    /// <summary>The <see cref="AcpLoggedRequest.Method"/> of an entry that says the agent opened a session (its id).</summary>
    public const string OpenedEntry = "(opened)";

    public string Path { get; } = System.IO.Path.Combine(directory, "acp-requests.jsonl");

    /// <summary>The environment that makes a simulated agent log here.</summary>
    public KeyValuePair<string, string> Variable => new("SIM_REQUEST_LOG", Path);

    /// <summary>The requests read so far, in order.</summary>
    public IReadOnlyList<AcpLoggedRequest> Read()
    {
        if (!File.Exists(Path))
        {
            return [];
        }

        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var requests = new List<AcpLoggedRequest>();
        while (reader.ReadLine() is { } line)
        {
            // A line being appended right now is not complete yet: the next read sees it whole.
            if (!line.EndsWith('}'))
            {
                continue;
            }

            using var json = JsonDocument.Parse(line);
            if (json.RootElement.TryGetProperty("opened", out var opened))
            {
                requests.Add(new AcpLoggedRequest(json.RootElement.GetProperty("pid").GetInt32(), OpenedEntry, opened.GetString(), "{}"));
                continue;
            }

            var parameters = json.RootElement.GetProperty("params");
            requests.Add(new AcpLoggedRequest(
                json.RootElement.GetProperty("pid").GetInt32(),
                json.RootElement.GetProperty("method").GetString()!,
                parameters.TryGetProperty("sessionId", out var session) ? session.GetString() : null,
                parameters.GetRawText()));
        }

        return requests;
    }

    /// <summary>The sessions <paramref name="pid"/> opened (new or pre-opened), in order.</summary>
    public IReadOnlyList<string?> OpenedBy(int pid) => [.. Read().Where(r => r.Pid == pid && r.Method == OpenedEntry).Select(r => r.SessionId)];

    /// <summary>The sessions <paramref name="pid"/> was asked to close.</summary>
    public IReadOnlyList<string?> ClosedBy(int pid) => [.. Read().Where(r => r.Pid == pid && r.Method == "session/close").Select(r => r.SessionId)];
}

/// <param name="Pid">The simulated agent that read it.</param>
/// <param name="Method">The JSON-RPC method, or <see cref="AcpRequestLogFile.OpenedEntry"/>.</param>
/// <param name="SessionId">Its <c>params.sessionId</c>, if any.</param>
/// <param name="Params">Its <c>params</c> as JSON.</param>
public sealed record AcpLoggedRequest(int Pid, string Method, string? SessionId, string Params);

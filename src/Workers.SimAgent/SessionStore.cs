using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>
/// Sessions persist as one JSON file per id (<c>{sessionId, cwd, messages:[{role, text}]}</c>) so that resume and load work in
/// a new process, as they do with the real CLIs. Files are replaced atomically (temp file + rename) because a host may kill
/// the process at any moment and another process may read the file at the same time.
/// </summary>
internal sealed class SessionStore(string directory)
{
    public StoredSession Create(string id, string cwd)
    {
        var session = new StoredSession(id, cwd);
        Save(session);
        return session;
    }

    public bool Exists(string id) => IsSafeId(id) && File.Exists(PathOf(id));

    public StoredSession? TryLoad(string id)
    {
        if (!Exists(id))
        {
            return null;
        }

        try
        {
            return Parse(File.ReadAllBytes(PathOf(id)));
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException)
        {
            Diagnostics.Note($"session file for {id} is unreadable: {e.Message}");
            return null;
        }
    }

    public void Save(StoredSession session)
    {
        Directory.CreateDirectory(directory);
        var target = PathOf(session.Id);
        var temporary = $"{target}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temporary, Serialize(session));
        File.Move(temporary, target, overwrite: true);
    }

    /// <summary>Every readable session, newest first.</summary>
    public IReadOnlyList<(StoredSession Session, DateTime UpdatedUtc)> List()
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var sessions = new List<(StoredSession, DateTime)>();
        foreach (var file in Directory.EnumerateFiles(directory, "*.json"))
        {
            if (TryLoad(Path.GetFileNameWithoutExtension(file)) is { } session)
            {
                sessions.Add((session, File.GetLastWriteTimeUtc(file)));
            }
        }

        return [.. sessions.OrderByDescending(s => s.Item2)];
    }

    // An id becomes a file name, so anything that could escape the directory is treated as "no such session".
    private static bool IsSafeId(string id) =>
        id.Length is > 0 and <= 200 && id[0] != '.' && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private string PathOf(string id) => Path.Combine(directory, id + ".json");

    private static byte[] Serialize(StoredSession session)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("sessionId", session.Id);
            json.WriteString("cwd", session.Cwd);
            json.WriteStartArray("messages");
            foreach (var message in session.Messages)
            {
                json.WriteStartObject();
                json.WriteString("role", message.Role);
                json.WriteString("text", message.Text);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static StoredSession? Parse(byte[] bytes)
    {
        if (JsonNode.Parse(bytes) is not JsonObject root
            || root["sessionId"]?.GetValue<string>() is not { } id
            || root["cwd"]?.GetValue<string>() is not { } cwd)
        {
            return null;
        }

        var session = new StoredSession(id, cwd);
        foreach (var message in root["messages"]?.AsArray() ?? [])
        {
            if (message?["role"]?.GetValue<string>() is { } role && message["text"]?.GetValue<string>() is { } text)
            {
                session.Messages.Add(new StoredMessage(role, text));
            }
        }

        return session;
    }
}

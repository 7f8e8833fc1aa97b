using System.Text.Json;

namespace Workers.Sessions;

/// <summary>A <see cref="IConversationSessionStore"/> in one JSON file, rewritten atomically on each change: for the
/// <c>workers</c> verbs and tests that run pools without the service's database.</summary>
public sealed class JsonFileConversationSessionStore : IConversationSessionStore, IDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly string _path;
    private Dictionary<string, ConversationSession>? _sessions;

    public JsonFileConversationSessionStore(string path)
    {
        _path = path;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    public async Task<ConversationSession?> GetAsync(string conversationId, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            return (await LoadAsync(cancellationToken)).GetValueOrDefault(conversationId);
        }
        finally
        {
            _lock.Release();
        }
    }

    public Task SaveAsync(ConversationSession session, CancellationToken cancellationToken) =>
        ChangeAsync(sessions => sessions[session.ConversationId] = session, cancellationToken);

    public Task ForgetAsync(string conversationId, CancellationToken cancellationToken) =>
        ChangeAsync(sessions => sessions.Remove(conversationId), cancellationToken);

    private async Task ChangeAsync(Action<Dictionary<string, ConversationSession>> change, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var sessions = await LoadAsync(cancellationToken);
            change(sessions);
            var temporary = _path + ".tmp";
            await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(sessions.Values), cancellationToken);
            File.Move(temporary, _path, overwrite: true);
        }
        finally
        {
            _lock.Release();
        }
    }

    public void Dispose() => _lock.Dispose();

    private async Task<Dictionary<string, ConversationSession>> LoadAsync(CancellationToken cancellationToken)
    {
        if (_sessions is null)
        {
            var stored = File.Exists(_path)
                ? JsonSerializer.Deserialize<List<ConversationSession>>(await File.ReadAllTextAsync(_path, cancellationToken)) ?? []
                : [];
            _sessions = stored.ToDictionary(s => s.ConversationId, StringComparer.Ordinal);
        }

        return _sessions;
    }
}

using System.Security.Cryptography;
using System.Text;
using Workers.Profiles;

namespace Workers.Isolation;

/// <summary>Where a profile's conversations keep their files in <see cref="IsolationMode.Conversation"/> isolation
/// (<c>specs/isolation.md</c>, "Files"). At rest, a conversation's HOME is <c>homes/&lt;profile&gt;/&lt;key&gt;</c> and its
/// workspace <c>&lt;profile's working directory&gt;/&lt;key&gt;</c>; while a process serves it, both are inside that process's
/// slot (<c>run/slots/&lt;profile&gt;/&lt;slot&gt;/conversation</c>). Everything is moved by renaming, so all of it must lie on one
/// file system (checked at start). The key is a hash of the conversation id: any id a producer sends is a safe name.</summary>
public sealed class ConversationFiles
{
    public ConversationFiles(string dataDirectory, ResolvedProfile profile)
    {
        DataDirectory = dataDirectory;
        Profile = profile.Name;
        HomeTemplate = profile.HomeDirectory;
        SlotsRoot = Path.Combine(dataDirectory, "run", "slots", profile.Name);
        HomesRoot = Path.Combine(dataDirectory, "homes", profile.Name);
        WorkspacesRoot = profile.DefaultWorkingDirectory;
        TrashRoot = Path.Combine(dataDirectory, "trash");
    }

    public string DataDirectory { get; }

    public string Profile { get; }

    /// <summary>The profile's own HOME (operator configuration, credentials): copied into every new conversation's HOME.</summary>
    public string HomeTemplate { get; }

    public string SlotsRoot { get; }

    public string HomesRoot { get; }

    public string WorkspacesRoot { get; }

    /// <summary>Where deleted directories go first (one rename), to be removed in the background.</summary>
    public string TrashRoot { get; }

    /// <summary>The directory name of a conversation: 32 hex digits of the SHA-256 of its id.</summary>
    public static string KeyOf(string conversationId) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(conversationId)))[..32];

    public string HomeAtRest(string key) => Path.Combine(HomesRoot, key);

    public string WorkspaceAtRest(string key) => Path.Combine(WorkspacesRoot, key);

    /// <summary>Makes the roots and proves that a directory can be renamed between them (one file system): a slot's files
    /// are brought in and out by rename.</summary>
    /// <exception cref="IOException">The roots lie on different file systems, or cannot be made.</exception>
    public void Prepare()
    {
        foreach (var root in new[] { SlotsRoot, HomesRoot, WorkspacesRoot, TrashRoot })
        {
            Directory.CreateDirectory(root);
        }

        foreach (var root in new[] { HomesRoot, WorkspacesRoot, TrashRoot })
        {
            var probe = Path.Combine(root, $".rename-probe-{Guid.NewGuid():N}");
            var moved = Path.Combine(SlotsRoot, Path.GetFileName(probe));
            Directory.CreateDirectory(probe);
            try
            {
                Directory.Move(probe, moved);
                Directory.Delete(moved);
            }
            catch (IOException ex)
            {
                Directory.Delete(probe);
                throw new IOException(
                    $"Profile '{Profile}': '{root}' and '{SlotsRoot}' must be on one file system (conversation files move by rename): {ex.Message}", ex);
            }
        }
    }

    /// <summary>Moves a directory to the trash (one rename) and deletes it there; false when it did not exist.</summary>
    public bool Discard(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return false;
        }

        var trashed = Path.Combine(TrashRoot, $"{Path.GetFileName(directory)}-{Guid.NewGuid():N}");
        Directory.Move(directory, trashed);
        DeleteQuietly(trashed);
        return true;
    }

    /// <summary>Deletes a directory tree that nothing uses any more; what cannot be deleted now is left for the orphan sweep.</summary>
    public static void DeleteQuietly(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The trash is swept again later.
        }
    }
}

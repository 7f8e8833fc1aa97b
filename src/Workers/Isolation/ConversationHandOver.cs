using Microsoft.Extensions.Logging;
using Workers.Logging;
using Workers.Processes;

namespace Workers.Isolation;

/// <summary>Moves a conversation's files (HOME and workspace) between their place at rest and the slot of the one process that
/// serves the conversation (<c>specs/isolation.md</c>, "Hand-over"). A conversation's files are in exactly one place at a
/// time: at rest, or in one slot. While a slot holds them, a turn that needs them in another process waits until the holder
/// has exited and given them back (the gate), so a retry on a new process never starts from an empty HOME while the old one
/// is still writing. Renames only: microseconds, whatever the size of the files.</summary>
public sealed partial class ConversationHandOver
{
    private readonly Lock _lock = new();

    /// <summary>The conversations held by a slot (by key), each with what completes when its files are back at rest.</summary>
    private readonly Dictionary<string, TaskCompletionSource> _held = new(StringComparer.Ordinal);

    private readonly ILogger _logger;

    public ConversationHandOver(ConversationFiles files, ILogger logger)
    {
        Files = files;
        _logger = logger;
    }

    public ConversationFiles Files { get; }

    /// <summary>Makes the directories of a new process: a HOME copied from the profile's template, an empty workspace, an empty
    /// <c>/tmp</c>. Owned by no conversation yet.</summary>
    /// <exception cref="SpawnFailedException">The directories could not be made (the disk is full, say).</exception>
    public ProcessSlot CreateSlot()
    {
        var slot = new ProcessSlot(Path.Combine(Files.SlotsRoot, Guid.NewGuid().ToString("N")[..16]));
        try
        {
            Directory.CreateDirectory(slot.Workspace);
            Directory.CreateDirectory(slot.Tmp);
            CopyTree(Files.HomeTemplate, slot.Home);
            return slot;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ConversationFiles.DeleteQuietly(slot.Root);
            throw new SpawnFailedException("EIO", $"The sandbox directories of a process of profile '{Files.Profile}' could not be made: {ex.Message}");
        }
    }

    /// <summary>Waits until no process holds the conversation's files: at rest, they can be brought to another.</summary>
    /// <exception cref="OperationCanceledException">The token fired first.</exception>
    /// <exception cref="ConversationStateUnavailableException">The holder could not give them back.</exception>
    public async Task WaitAtRestAsync(string conversationId, CancellationToken cancellationToken)
    {
        var key = ConversationFiles.KeyOf(conversationId);
        Task? held;
        lock (_lock)
        {
            held = _held.GetValueOrDefault(key)?.Task;
        }

        if (held is not null)
        {
            await held.WaitAsync(cancellationToken);
        }
    }

    /// <summary>True when the conversation has files at rest: a process would have to take them over its own fresh ones.</summary>
    public bool HasFilesAtRest(string conversationId)
    {
        var key = ConversationFiles.KeyOf(conversationId);
        return Directory.Exists(Files.HomeAtRest(key)) || Directory.Exists(Files.WorkspaceAtRest(key));
    }

    /// <summary>True while a process's slot holds the conversation's files.</summary>
    public bool IsHeld(string conversationId)
    {
        lock (_lock)
        {
            return _held.ContainsKey(ConversationFiles.KeyOf(conversationId));
        }
    }

    /// <summary>Brings the conversation's files at rest into the slot, over the slot's fresh ones (which are set aside, out of
    /// the agent's sight); a conversation with no files yet takes the slot's fresh ones as its own. From now on the slot holds
    /// the conversation until <see cref="TakeOut"/>.</summary>
    /// <exception cref="ConversationStateUnavailableException">Another slot holds them, or a rename failed.</exception>
    public void BringIn(ProcessSlot slot, string conversationId)
    {
        var key = ConversationFiles.KeyOf(conversationId);
        if (slot.OwnerKey == key)
        {
            return;
        }

        if (slot.OwnerKey is not null)
        {
            // A process that served one conversation never serves another: its memory and its /tmp still hold the first one.
            throw new InvalidOperationException("A slot that held one conversation cannot take another.");
        }

        lock (_lock)
        {
            if (_held.ContainsKey(key))
            {
                throw new ConversationStateUnavailableException(
                    $"The conversation's files are still held by another process of profile '{Files.Profile}'.");
            }

            _held[key] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        try
        {
            File.WriteAllText(slot.OwnerFile, key);
            SwapIn(Files.HomeAtRest(key), slot.Home, Path.Combine(slot.Root, "fresh-home"));
            SwapIn(Files.WorkspaceAtRest(key), slot.Workspace, Path.Combine(slot.Root, "fresh-workspace"));
            slot.OwnerKey = key;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Whatever was moved in goes back; the conversation is free again.
            slot.OwnerKey = key;
            TakeOut(slot, discardSlot: false);
            slot.OwnerKey = null;
            throw new ConversationStateUnavailableException(
                $"The conversation's files could not be brought to a process of profile '{Files.Profile}': {ex.Message}", ex);
        }
    }

    /// <summary>After the slot's process has exited: puts the files of the conversation it held back at rest, frees the
    /// conversation, and deletes the rest of the slot (its <c>/tmp</c>, the fresh HOME it was started with).</summary>
    public void TakeOut(ProcessSlot slot, bool discardSlot = true)
    {
        if (slot.OwnerKey is { } key)
        {
            Exception? failure = null;
            try
            {
                MoveToRest(slot.Home, Files.HomeAtRest(key));
                MoveToRest(slot.Workspace, Files.WorkspaceAtRest(key));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failure = ex;
                Log.TakeOutFailed(_logger, Files.Profile, slot.Root, ex);
            }

            TaskCompletionSource? gate;
            lock (_lock)
            {
                _held.Remove(key, out gate);
            }

            if (failure is null)
            {
                gate?.TrySetResult();
            }
            else
            {
                // Left in the slot for the restart's recovery; a turn waiting for them fails instead of starting empty.
                gate?.TrySetException(new ConversationStateUnavailableException(
                    $"The conversation's files could not be put back at rest: {failure.Message}", failure));
                return;
            }
        }

        if (discardSlot)
        {
            DiscardSlot(slot.Root);
        }
    }

    /// <summary>Deletes the conversation's files (HOME and Workers-owned workspace) once no process holds them: what
    /// <c>DELETE /v1/conversations/{id}</c> and retention do after the conversation's process was let go.</summary>
    /// <returns>How many of the two directories (HOME, workspace) there were to delete.</returns>
    public async Task<int> DeleteAsync(string conversationId, CancellationToken cancellationToken)
    {
        await WaitAtRestAsync(conversationId, cancellationToken);
        var key = ConversationFiles.KeyOf(conversationId);
        return (Files.Discard(Files.HomeAtRest(key)) ? 1 : 0) + (Files.Discard(Files.WorkspaceAtRest(key)) ? 1 : 0);
    }

    /// <summary>At start, before any process of the profile runs: the slots a killed service left behind give their
    /// conversations' files back to rest (a slot's are the newer), and the slots and the trash are deleted.</summary>
    public void Recover()
    {
        Files.Prepare();
        foreach (var root in Directory.EnumerateDirectories(Files.SlotsRoot))
        {
            var slot = new ProcessSlot(root);
            var owner = File.Exists(slot.OwnerFile) ? File.ReadAllText(slot.OwnerFile).Trim() : null;
            slot.OwnerKey = owner is { Length: 32 } && owner.All(char.IsAsciiHexDigitLower) ? owner : null;
            if (slot.OwnerKey is not null)
            {
                Log.Recovered(_logger, Files.Profile, slot.OwnerKey);
            }

            TakeOut(slot);
        }

        foreach (var trashed in Directory.EnumerateFileSystemEntries(Files.TrashRoot))
        {
            ConversationFiles.DeleteQuietly(trashed);
        }
    }

    private static void SwapIn(string atRest, string inSlot, string setAside)
    {
        if (!Directory.Exists(atRest))
        {
            return;
        }

        Directory.Move(inSlot, setAside);
        Directory.Move(atRest, inSlot);
    }

    private void MoveToRest(string inSlot, string atRest)
    {
        if (!Directory.Exists(inSlot))
        {
            return;
        }

        if (Directory.Exists(atRest))
        {
            // Only a crash between two moves leaves both; the slot's copy is the one the agent last wrote.
            Files.Discard(atRest);
        }

        Directory.Move(inSlot, atRest);
    }

    private void DiscardSlot(string root)
    {
        try
        {
            Files.Discard(root);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.DiscardFailed(_logger, Files.Profile, root, ex);
        }
    }

    private static void CopyTree(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        if (!Directory.Exists(source))
        {
            return;
        }

        foreach (var directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(destination, Path.GetRelativePath(source, directory)));
        }

        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(destination, Path.GetRelativePath(source, file)));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Isolation + 1, Level = LogLevel.Error, Message = "Profile {Profile}: the conversation files in slot {Slot} could not be put back at rest; they stay there until the next start")]
        public static partial void TakeOutFailed(ILogger logger, string profile, string slot, Exception exception);

        [LoggerMessage(EventId = EventIds.Isolation + 2, Level = LogLevel.Warning, Message = "Profile {Profile}: slot {Slot} could not be deleted; the orphan sweep retries")]
        public static partial void DiscardFailed(ILogger logger, string profile, string slot, Exception exception);

        [LoggerMessage(EventId = EventIds.Isolation + 3, Level = LogLevel.Information, Message = "Profile {Profile}: conversation files {Key} left in a slot by the previous run were put back at rest")]
        public static partial void Recovered(ILogger logger, string profile, string key);
    }
}

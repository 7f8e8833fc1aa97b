using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Workers.Isolation;
using Workers.Logging;
using Workers.Metrics;
using Workers.Pooling;
using Workers.Profiles;
using Workers.Store;

namespace Workers.Maintenance;

/// <summary>What one file sweep found and did.</summary>
/// <param name="OrphansRemoved">Conversation directories (HOME or workspace) removed because no conversation of the store owns them.</param>
/// <param name="TrashRemoved">Leftovers of the trash removed.</param>
/// <param name="OrphansSkipped">False when the store could not say which conversations exist: then no orphan was looked for.</param>
public sealed record FileSweepResult(int OrphansRemoved, int TrashRemoved, bool OrphansSkipped);

/// <summary>The periodic walk of the data directory (<c>specs/maintenance.md</c>, "The file sweep"): removes orphaned conversation
/// directories and the trash's leftovers, and measures the bytes of every profile's files for <c>workers_data_bytes</c>, so the
/// scrape never walks a tree.</summary>
/// <remarks>An orphan is a <c>&lt;key&gt;</c> directory at rest (<c>homes/&lt;profile&gt;/</c>, or the workspaces folder of a profile
/// in conversation isolation) whose key is no conversation with a turn in the store, that no slot holds (the slot's
/// <c>owner</c> file), and whose last change is older than <c>Workers:Maintenance:OrphanGracePeriod</c>: a conversation being
/// created has a turn before it has files, and the grace covers the moments between a store read and a rename.</remarks>
public sealed partial class ConversationFileSweep(ProfileCatalog profiles, PoolRegistry pools, ITurnStore store, WorkerMetrics metrics,
    IOptionsMonitor<MaintenanceOptions> options, TimeProvider timeProvider, ILogger<ConversationFileSweep> logger) : IDisposable
{
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    public async Task<FileSweepResult> SweepAsync(CancellationToken cancellationToken)
    {
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            var (orphans, skipped) = await RemoveOrphansAsync(cancellationToken);
            var trash = RemoveTrash();
            Measure();
            if (orphans > 0 || trash > 0)
            {
                Log.Swept(logger, orphans, trash);
            }

            return new FileSweepResult(orphans, trash, skipped);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task<(int Removed, bool Skipped)> RemoveOrphansAsync(CancellationToken cancellationToken)
    {
        var isolated = pools.All.Where(p => p.HandOver is not null).ToList();
        if (isolated.Count == 0)
        {
            return (0, false);
        }

        HashSet<string> known;
        try
        {
            known = (await store.ListConversationIdsAsync(cancellationToken)).Select(ConversationFiles.KeyOf).ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Without the store nothing can be called an orphan.
            Log.StoreUnavailable(logger, ex);
            return (0, true);
        }

        var grace = options.CurrentValue.OrphanGracePeriod;
        var removed = 0;
        foreach (var pool in isolated)
        {
            var files = pool.HandOver!.Files;
            foreach (var root in new[] { files.HomesRoot, files.WorkspacesRoot })
            {
                foreach (var directory in KeyDirectories(root))
                {
                    var key = Path.GetFileName(directory);
                    if (known.Contains(key) || HeldKeys(files).Contains(key)
                        || timeProvider.GetUtcNow() - Directory.GetLastWriteTimeUtc(directory) < grace)
                    {
                        continue;
                    }

                    try
                    {
                        if (files.Discard(directory))
                        {
                            removed++;
                            metrics.ConversationFilesRemoved.WithLabels(pool.Name, ConversationFileCleanup.Label(FileRemovalCause.Orphan)).Inc();
                            Log.OrphanRemoved(logger, pool.Name, directory);
                        }
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        Log.OrphanNotRemoved(logger, pool.Name, directory, ex);
                    }
                }
            }
        }

        return (removed, false);
    }

    /// <summary>The keys the profile's slots hold now, from their <c>owner</c> files: read again for every candidate, so a
    /// conversation brought into a slot during the sweep is seen.</summary>
    private static HashSet<string> HeldKeys(ConversationFiles files)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        if (!Directory.Exists(files.SlotsRoot))
        {
            return keys;
        }

        foreach (var slot in Directory.EnumerateDirectories(files.SlotsRoot))
        {
            try
            {
                keys.Add(File.ReadAllText(new ProcessSlot(slot).OwnerFile).Trim());
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // No owner (a fresh process), or the slot went away.
            }
        }

        return keys;
    }

    /// <summary>Sub-directories named as a conversation key (32 lowercase hex digits): nothing else in a workspaces folder an
    /// operator configured is ever touched.</summary>
    private static List<string> KeyDirectories(string root) =>
        Directory.Exists(root)
            ? [.. Directory.EnumerateDirectories(root).Where(d => Path.GetFileName(d) is { Length: 32 } name && name.All(char.IsAsciiHexDigitLower))]
            : [];

    /// <summary>Deletes what is left in the trash (a deletion that failed, or a service killed in the middle of one).</summary>
    private int RemoveTrash()
    {
        var trash = Path.Combine(profiles.DataDirectory, "trash");
        if (!Directory.Exists(trash))
        {
            return 0;
        }

        var removed = 0;
        foreach (var entry in Directory.EnumerateFileSystemEntries(trash).ToList())
        {
            try
            {
                if (Directory.Exists(entry))
                {
                    Directory.Delete(entry, recursive: true);
                }
                else
                {
                    File.Delete(entry);
                }

                removed++;
                metrics.TrashEntriesRemoved.Inc();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Being deleted by its own discard right now, or undeletable: the next sweep tries again.
            }
        }

        return removed;
    }

    /// <summary>Sets <c>workers_data_bytes{profile,kind}</c>. homes: the profile's HOME, and in conversation isolation every
    /// conversation's HOME at rest; workspaces: in conversation isolation the conversations' workspaces at rest, in profile
    /// isolation the default working directory when it lies in the data directory (an operator's directory elsewhere is not
    /// Workers' data); slots: the running processes' slots (conversation isolation only).</summary>
    private void Measure()
    {
        foreach (var profile in profiles.All)
        {
            long homes, workspaces, slots = 0;
            if (profile.Isolation == IsolationMode.Conversation)
            {
                var files = new ConversationFiles(profiles.DataDirectory, profile);
                homes = BytesUnder(profile.HomeDirectory) + BytesUnder(files.HomesRoot);
                workspaces = KeyDirectories(files.WorkspacesRoot).Sum(BytesUnder);
                slots = BytesUnder(files.SlotsRoot);
            }
            else
            {
                homes = BytesUnder(profile.HomeDirectory);
                workspaces = IsInside(profile.DefaultWorkingDirectory, profiles.DataDirectory) ? BytesUnder(profile.DefaultWorkingDirectory) : 0;
            }

            metrics.DataBytes.WithLabels(profile.Name, "homes").Set(homes);
            metrics.DataBytes.WithLabels(profile.Name, "workspaces").Set(workspaces);
            metrics.DataBytes.WithLabels(profile.Name, "slots").Set(slots);
        }
    }

    private static bool IsInside(string path, string directory)
    {
        var relative = Path.GetRelativePath(Path.GetFullPath(directory), Path.GetFullPath(path));
        return relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !Path.IsPathRooted(relative);
    }

    /// <summary>The sizes of the files under <paramref name="root"/>; symbolic links are not followed, and files that vanish or
    /// cannot be read during the walk are skipped.</summary>
    internal static long BytesUnder(string root)
    {
        if (!Directory.Exists(root))
        {
            return 0;
        }

        var walk = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            ReturnSpecialDirectories = false,
        };
        long total = 0;
        try
        {
            foreach (var file in new DirectoryInfo(root).EnumerateFiles("*", walk))
            {
                total += file.Length;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A directory vanished under the walk (a hand-over, a deletion): what was counted stands.
        }

        return total;
    }

    public void Dispose() => _oneAtATime.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Maintenance + 5, Level = LogLevel.Information, Message = "File sweep: {Orphans} orphaned conversation directories and {Trash} trash leftovers removed")]
        public static partial void Swept(ILogger logger, int orphans, int trash);

        [LoggerMessage(EventId = EventIds.Maintenance + 6, Level = LogLevel.Information, Message = "Profile {Profile}: orphaned conversation directory {Directory} removed (no turn in the store, no process holds it)")]
        public static partial void OrphanRemoved(ILogger logger, string profile, string directory);

        [LoggerMessage(EventId = EventIds.Maintenance + 7, Level = LogLevel.Warning, Message = "Profile {Profile}: orphaned conversation directory {Directory} could not be removed")]
        public static partial void OrphanNotRemoved(ILogger logger, string profile, string directory, Exception exception);

        [LoggerMessage(EventId = EventIds.Maintenance + 8, Level = LogLevel.Warning, Message = "File sweep: the store did not answer; no orphan was looked for")]
        public static partial void StoreUnavailable(ILogger logger, Exception exception);
    }
}

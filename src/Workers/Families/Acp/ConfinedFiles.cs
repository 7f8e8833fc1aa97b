using System.Text;
using Microsoft.Win32.SafeHandles;
using StreamJsonRpc;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Families.Acp;

/// <summary>The ACP client's <c>fs/*</c> answers, confined to one session's working directory (<c>specs/security.md</c>,
/// "Files and working directory"). The path is made absolute and normalised (<c>..</c>, <c>//</c>, <c>/.</c>) and must lie
/// inside the root; then the real path of its deepest existing part (a symlink counts as existing, even one that leads
/// nowhere) must lie inside too, so a symlink leading out — to a file, to a directory under which the rest does not exist
/// yet, or to nothing — is refused. The file is then reached without following any link it has not checked: the
/// directory that holds it is opened and what the kernel actually opened is checked again (a link swapped in since the
/// check is caught there); missing directories are made in it one by one and opened without following links
/// (<c>mkdirat</c>, <c>O_NOFOLLOW</c>); the file is opened in it with <c>O_NOFOLLOW</c>, so a link swapped in for the file
/// itself is refused too. A write opens without truncating (the file keeps its mode and inode) and truncates only once
/// opened.
/// <para>What remains: a directory already checked and opened can still be renamed elsewhere by someone with write access
/// to both places before the file is opened in it; whoever can do that can write there anyway. The agent's own tools are not
/// confined by this at all (issue 13).</para>
/// <para>Refusals never name where a link points: messages repeat only the path the agent sent.</para></summary>
/// <param name="root">The session's working directory, a real path when the session was opened.</param>
/// <param name="betweenCheckAndUse">Runs after the path is checked and before anything is opened: the tests swap links in
/// there to show that a race cannot escape.</param>
/// <param name="viewRoot">Where the agent sees <paramref name="root"/> when it runs in a sandbox (<c>/conversation/workspace</c>):
/// paths under it are taken as the same place under the root; null when the agent sees the root itself.</param>
internal sealed class ConfinedFiles(string root, Action? betweenCheckAndUse = null, string? viewRoot = null)
{
    private const int InvalidParams = -32602;
    private const int InternalError = -32603;

    /// <summary>What a read takes from the file at a time: also the most it reads past where it stops.</summary>
    private const int ReadBufferBytes = 64 * 1024;

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Refuses a path that does not lead inside the root (as <see cref="WriteAllText"/> would), touching nothing.</summary>
    public void Check(string path) => Locate(path);

    /// <summary>Reads what <paramref name="read"/> asks of the file at <paramref name="path"/>, with bounded memory.</summary>
    /// <exception cref="LocalRpcException">Refused, missing, or larger than <see cref="TextRead.MaxBytes"/> (-32602, naming
    /// <c>MaxFileReadBytes</c>: nothing past that point is read).</exception>
    public string ReadText(string path, TextRead read)
    {
        var target = Locate(path);
        betweenCheckAndUse?.Invoke();
        if (target.Missing)
        {
            throw NotFound(path);
        }

        using var directory = OpenDirectory(target.Directory, path);
        using var file = UnixFiles.OpenAt(directory, target.Name, UnixFiles.FileToRead, out var errno) ?? throw Failed(path, errno, "read");
        RequireFile(file, path);
        using var reader = new StreamReader(new FileStream(file, FileAccess.Read, bufferSize: 0), Encoding.UTF8, true, ReadBufferBytes);
        return read.From(reader) ?? throw TooLarge(path, read);
    }

    public void WriteAllText(string path, string content)
    {
        var target = Locate(path);
        betweenCheckAndUse?.Invoke();
        var directory = OpenDirectory(target.Directory, path);
        try
        {
            foreach (var name in target.MissingDirectories)
            {
                if (UnixFiles.MakeDirectoryAt(directory, name) is var made and not 0 and not UnixFiles.Exists)
                {
                    throw Failed(path, made, "written");
                }

                // Made or found: opened without following, so a link put (or found) there is refused, not entered.
                var next = UnixFiles.OpenAt(directory, name, UnixFiles.DirectoryHandleNoFollow, out var errno)
                    ?? throw Failed(path, errno, "written");
                directory.Dispose();
                directory = next;
            }

            using var file = UnixFiles.OpenAt(directory, target.Name, UnixFiles.FileToWrite, out var fileErrno)
                ?? throw Failed(path, fileErrno, "written");
            RequireFile(file, path);
            using var stream = new FileStream(file, FileAccess.Write, bufferSize: 0);
            stream.SetLength(0);
            stream.Write(Utf8NoBom.GetBytes(content));
        }
        finally
        {
            directory.Dispose();
        }
    }

    /// <summary>Where the path leads once every existing part is resolved: the real directory that holds (or will hold) it,
    /// the directories to make below that, and the file's name.</summary>
    private sealed record Target(string Directory, IReadOnlyList<string> MissingDirectories, string Name, bool Missing);

    private Target Locate(string path)
    {
        if (!Path.IsPathRooted(path))
        {
            throw new LocalRpcException($"'path' must be an absolute path, got '{path}'.") { ErrorCode = InvalidParams };
        }

        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (viewRoot is not null && PathContainment.IsWithin(full, viewRoot))
        {
            full = root + full[viewRoot.Length..];
        }

        if (!PathContainment.IsWithin(full, root))
        {
            throw new LocalRpcException($"'{path}' is outside the session's working directory.") { ErrorCode = InvalidParams };
        }

        if (RealPath.Resolve(root) != root)
        {
            // Replaced (by a symlink, say) since the session opened there: nothing below it is what was allowed.
            throw new LocalRpcException(
                "The session's working directory is no longer where the session was opened; file access is refused.") { ErrorCode = InvalidParams };
        }

        var missing = new Stack<string>();
        var probe = full;
        while (!UnixFiles.ExistsWithoutFollowing(probe))
        {
            if (probe.Length <= root.Length)
            {
                throw NotFound(path);
            }

            missing.Push(Path.GetFileName(probe));
            probe = Path.GetDirectoryName(probe)!;
        }

        if (RealPath.Resolve(probe) is not { } real || !PathContainment.IsWithin(real, root))
        {
            throw Escapes(path);
        }

        if (missing.Count == 0)
        {
            return real == root
                ? throw NotAFile(path)
                : new Target(Path.GetDirectoryName(real)!, [], Path.GetFileName(real), Missing: false);
        }

        var names = missing.ToList();
        return new Target(real, names[..^1], names[^1], Missing: true);
    }

    /// <summary>Opens a checked directory and checks what was opened: a link swapped into its path since is caught here.</summary>
    private SafeFileHandle OpenDirectory(string directory, string path)
    {
        var handle = UnixFiles.OpenAt(null, directory, UnixFiles.DirectoryHandle, out var errno) ?? throw Failed(path, errno, "reached");
        if (UnixFiles.PathOf(handle) is { } opened && PathContainment.IsWithin(opened, root))
        {
            return handle;
        }

        handle.Dispose();
        throw Escapes(path);
    }

    private static void RequireFile(SafeFileHandle file, string path)
    {
        if (UnixFiles.IsDirectory(file))
        {
            throw NotAFile(path);
        }
    }

    private static LocalRpcException Escapes(string path) =>
        new($"'{path}' resolves outside the session's working directory, or through a symbolic link that leads nowhere.")
        {
            ErrorCode = InvalidParams,
        };

    private static LocalRpcException NotFound(string path) =>
        new($"File '{path}' does not exist.") { ErrorCode = StaleSessionPatterns.AcpResourceNotFound };

    private static LocalRpcException TooLarge(string path, TextRead read) =>
        new($"'{path}': the text asked for is larger than the {read.MaxBytes} bytes a read may return (MaxFileReadBytes); "
            + (read.Whole ? "ask for part of it with line and limit." : "ask for fewer lines."))
        {
            ErrorCode = InvalidParams,
        };

    private static LocalRpcException NotAFile(string path) => new($"'{path}' is not a regular file.") { ErrorCode = InvalidParams };

    /// <summary>A refused or failed open, by errno: a link met where none may be followed is a refusal like any escape.</summary>
    private static LocalRpcException Failed(string path, int errno, string verb) => errno switch
    {
        UnixFiles.TooManyLinks => Escapes(path),
        UnixFiles.NotADirectory => new($"A part of '{path}' is not a directory that may be entered.") { ErrorCode = InvalidParams },
        UnixFiles.NoSuchEntry => NotFound(path),
        UnixFiles.IsADirectory => NotAFile(path),
        UnixFiles.PermissionDenied => new($"'{path}' could not be {verb}: permission denied.") { ErrorCode = InternalError },
        _ => new($"'{path}' could not be {verb} (errno {errno}).") { ErrorCode = InternalError },
    };
}

using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Workers.Families.Acp;

/// <summary>The few Linux file calls .NET does not offer: <c>openat</c> with <c>O_NOFOLLOW</c>/<c>O_PATH</c>,
/// <c>mkdirat</c>, an existence test that does not follow a last symlink, and the path an open descriptor really reached.
/// <see cref="ConfinedFiles"/> works through them so that no step follows a symlink it has not checked.</summary>
internal static partial class UnixFiles
{
    public const int NoSuchEntry = 2;
    public const int PermissionDenied = 13;
    public const int Exists = 17;
    public const int NotADirectory = 20;
    public const int IsADirectory = 21;
    public const int TooManyLinks = 40;

    private const int WriteOnly = 1;
    private const int Create = 0x40;
    private const int NonBlock = 0x800;
    private const int CloseOnExec = 0x80000;
    private const int PathOnly = 0x200000;
    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;

    // O_DIRECTORY and O_NOFOLLOW are the two open flags whose values differ between Linux architectures.
    private static readonly bool ArmLayout =
        RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm or Architecture.Ppc64le;

    private static readonly int DirectoryOnly = ArmLayout ? 0x4000 : 0x10000;
    private static readonly int NoFollow = ArmLayout ? 0x8000 : 0x20000;

    /// <summary>A directory, as a handle for the *at calls only (<c>O_PATH | O_DIRECTORY</c>): opening it reads nothing.</summary>
    public static int DirectoryHandle { get; } = PathOnly | DirectoryOnly | CloseOnExec;

    /// <summary>As <see cref="DirectoryHandle"/>, but a symlink in the last place is refused (<c>ENOTDIR</c>), never entered.</summary>
    public static int DirectoryHandleNoFollow { get; } = DirectoryHandle | NoFollow;

    /// <summary>A file to read; a symlink in the last place is refused (<c>ELOOP</c>); a FIFO does not block the open.</summary>
    public static int FileToRead { get; } = NoFollow | NonBlock | CloseOnExec;

    /// <summary>A file to write, made when missing, not truncated by the open; a symlink in the last place is refused.</summary>
    public static int FileToWrite { get; } = WriteOnly | Create | NoFollow | NonBlock | CloseOnExec;

    /// <summary>Whether something (a symlink counts, even one that leads nowhere) is at <paramref name="path"/>.</summary>
    public static bool ExistsWithoutFollowing(string path) => FAccessAt(AtCurrentDirectory, path, 0, AtSymlinkNoFollow) == 0;

    /// <summary>openat(2) relative to <paramref name="directory"/>, or to the current directory when null.</summary>
    /// <returns>The descriptor, or null with <paramref name="errno"/> set.</returns>
    public static SafeFileHandle? OpenAt(SafeFileHandle? directory, string path, int flags, out int errno)
    {
        var fd = OpenAtNative(directory is null ? AtCurrentDirectory : (int)directory.DangerousGetHandle(), path, flags, 438 /* 0666 */);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd < 0 ? null : new SafeFileHandle((IntPtr)fd, ownsHandle: true);
    }

    /// <summary>mkdirat(2) of <paramref name="name"/> in <paramref name="directory"/>.</summary>
    /// <returns>0, or the errno.</returns>
    public static int MakeDirectoryAt(SafeFileHandle directory, string name) =>
        MkdirAtNative((int)directory.DangerousGetHandle(), name, 511 /* 0777 */) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Where an open descriptor really is, whatever path was used to open it (the kernel's answer, through
    /// <c>/proc/self/fd</c>); null when it cannot be told.</summary>
    public static string? PathOf(SafeFileHandle handle) => new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget;

    /// <summary>Whether the descriptor is a directory (stat through the descriptor's <c>/proc/self/fd</c> link).</summary>
    public static bool IsDirectory(SafeFileHandle handle) => Directory.Exists($"/proc/self/fd/{handle.DangerousGetHandle()}");

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenAtNative(int directory, string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkdirAtNative(int directory, string path, int mode);

    [LibraryImport("libc", EntryPoint = "faccessat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int FAccessAt(int directory, string path, int mode, int flags);
}

using System.Runtime.InteropServices;

namespace Workers.Profiles;

/// <summary>realpath(3): the canonical path with every symlink resolved.</summary>
public static partial class RealPath
{
    /// <summary>The resolved path, or null when <paramref name="path"/> does not exist.</summary>
    public static string? Resolve(string path)
    {
        var resolved = RealPathNative(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Marshal.FreeHGlobal(resolved);
        }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr RealPathNative(string path, IntPtr resolved);
}

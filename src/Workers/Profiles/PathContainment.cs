namespace Workers.Profiles;

/// <summary>Whether a path lies inside a directory, by whole path segments (<c>/a/bc</c> is not inside <c>/a/b</c>).</summary>
public static class PathContainment
{
    public static bool IsWithin(string path, string directory)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        // The file-system root keeps its separator when trimmed: it is its own prefix, "/" + "/" would match nothing.
        var prefix = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        return full.Equals(root, StringComparison.Ordinal) || full.StartsWith(prefix, StringComparison.Ordinal);
    }
}

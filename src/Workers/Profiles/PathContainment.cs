namespace Workers.Profiles;

/// <summary>Whether a path lies inside a directory, by whole path segments (<c>/a/bc</c> is not inside <c>/a/b</c>).</summary>
public static class PathContainment
{
    public static bool IsWithin(string path, string directory)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        return full.Equals(root, StringComparison.Ordinal)
            || full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }
}

namespace Workers.Benchmarks;

/// <summary>The temporary directories a benchmark runs its agents in.</summary>
internal static class ScratchDirectory
{
    /// <summary>Deletes <paramref name="path"/> and what is in it, or leaves it: a CLI that just exited may still be writing
    /// its session files there.</summary>
    public static void DeleteQuietly(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temporary directory.
        }
    }
}

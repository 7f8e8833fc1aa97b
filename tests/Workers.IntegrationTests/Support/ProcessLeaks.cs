using System.Text;

namespace Workers.IntegrationTests.Support;

/// <summary>Finds processes started by one test, by a marker in their environment: nothing a test starts may
/// outlive it.</summary>
public static class ProcessLeaks
{
    public const string MarkerVariable = "WORKERS_TEST_MARKER";

    public static IReadOnlyList<int> Find(string marker)
    {
        var needle = Encoding.UTF8.GetBytes($"{MarkerVariable}={marker}\0");
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                var environment = File.ReadAllBytes(Path.Combine(directory, "environ"));
                if (environment.AsSpan().IndexOf(needle) >= 0 && Workers.Processes.ProcessLiveness.State(pid) is not ('Z' or 'X'))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone or not ours.
            }
        }

        return found;
    }

    /// <summary>Waits up to <paramref name="grace"/> for the marker's processes to end, then fails the test
    /// (after killing them, so one leak does not poison the next tests).</summary>
    public static async Task AssertNoneLeftAsync(string marker, TimeSpan grace)
    {
        var started = TimeProvider.System.GetTimestamp();
        IReadOnlyList<int> left;
        while ((left = Find(marker)).Count > 0 && TimeProvider.System.GetElapsedTime(started) < grace)
        {
            await Task.Delay(50);
        }

        foreach (var pid in left)
        {
            try
            {
                System.Diagnostics.Process.GetProcessById(pid).Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                // Ended meanwhile.
            }
        }

        Assert.True(left.Count == 0, $"Processes left behind by the test: {string.Join(", ", left)}");
    }
}

using System.Diagnostics;

namespace Workers.SimAgent;

/// <summary>The <c>spawn-child</c> knob: a helper process in the simulator's own process group that each model request
/// goes through, as claude-agent-acp (node) passes every prompt to the claude CLI it runs as a child. A host that checks
/// only the group leader misses a stopped helper, and the turn stalls on it. The helper is a <c>cat</c> the simulator
/// writes one line to and reads it back from; its stdio is its own, so it holds none of the simulator's pipes. It ends
/// with the simulator: on exit, or with the group when the host kills it.</summary>
internal static class GroupChild
{
    private static readonly SemaphoreSlim Turn = new(1, 1);
    private static Process? _child;

    public static void StartIf(bool enabled)
    {
        if (!enabled)
        {
            return;
        }

        // A child stays in its parent's process group unless it asks for another; cat does not.
        _child = Process.Start(new ProcessStartInfo("cat")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        });
        if (_child is null)
        {
            return;
        }

        Diagnostics.Note($"spawned child process {_child.Id} in the process group");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
    }

    /// <summary>The model request's trip through the helper: returns once the helper echoed a line (at once without one).</summary>
    public static async Task RelayAsync(CancellationToken cancellationToken)
    {
        if (_child is not { } child)
        {
            return;
        }

        await Turn.WaitAsync(cancellationToken);
        try
        {
            await child.StandardInput.WriteLineAsync("model request".AsMemory(), cancellationToken);
            await child.StandardInput.FlushAsync(cancellationToken);
            if (await child.StandardOutput.ReadLineAsync(cancellationToken) is null)
            {
                Diagnostics.Note("the child process is gone");
            }
        }
        finally
        {
            Turn.Release();
        }
    }

    private static void Stop()
    {
        try
        {
            _child?.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}

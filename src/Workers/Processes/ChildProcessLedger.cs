using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Workers.Processes;

/// <summary>A file of the agent processes this service runs (pid and start time), so that a service restarted
/// after being killed can end the agents its previous run left behind — checking the start time first, so a
/// reused pid is never hit.</summary>
public sealed partial class ChildProcessLedger
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, long> _live = [];
    private readonly string _path;
    private readonly ILogger _logger;

    public ChildProcessLedger(string dataDirectory, ILogger<ChildProcessLedger> logger)
    {
        _path = Path.Combine(dataDirectory, "run", "agent-processes.json");
        _logger = logger;
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
    }

    public void Record(AgentProcess process)
    {
        if (ProcessLiveness.StartTicks(process.ProcessId) is not { } ticks)
        {
            return;
        }

        lock (_lock)
        {
            _live[process.ProcessId] = ticks;
            Save_NeedsLock();
        }

        process.Exited.ContinueWith(_ => Forget(process.ProcessId), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void Forget(int processId)
    {
        lock (_lock)
        {
            if (_live.Remove(processId))
            {
                Save_NeedsLock();
            }
        }
    }

    private void Save_NeedsLock()
    {
        var temporary = _path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(_live.Select(p => new Entry(p.Key, p.Value))));
        File.Move(temporary, _path, overwrite: true);
    }

    /// <summary>Ends the process groups an earlier run recorded and left alive: SIGTERM, then SIGKILL after
    /// <paramref name="grace"/>. Returns how many were found.</summary>
    public async Task<int> ReapLeftoversAsync(TimeSpan grace)
    {
        List<Entry> entries;
        try
        {
            entries = JsonSerializer.Deserialize<List<Entry>>(await File.ReadAllTextAsync(_path)) ?? [];
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return 0;
        }

        var leftovers = entries.Where(e => ProcessLiveness.StartTicks(e.Pid) == e.StartTicks).ToList();
        foreach (var entry in leftovers)
        {
            LogReaping(_logger, entry.Pid);
            ProcessGroup.Signal(entry.Pid, ProcessGroup.SigTerm);
            ProcessGroup.SignalProcess(entry.Pid, ProcessGroup.SigCont);
        }

        if (leftovers.Count > 0)
        {
            await Task.Delay(grace);
            foreach (var entry in leftovers.Where(e => ProcessLiveness.StartTicks(e.Pid) == e.StartTicks))
            {
                ProcessGroup.Signal(entry.Pid, ProcessGroup.SigKill);
            }
        }

        lock (_lock)
        {
            Save_NeedsLock();
        }

        return leftovers.Count;
    }

    private sealed record Entry(int Pid, long StartTicks);

    [LoggerMessage(EventId = Logging.EventIds.Processes + 21, Level = LogLevel.Warning,
        Message = "Ending agent process {ProcessId} left behind by an earlier run of the service")]
    private static partial void LogReaping(ILogger logger, int processId);
}

using Microsoft.Extensions.Logging.Abstractions;
using Workers.Families;
using Workers.Processes;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.MicroBenchmarks.Decoding;

/// <summary>A family's real connection to the simulated agent, with a turn running that the agent holds open (its first
/// token is an hour away): lines handed to <see cref="Filter"/> are then decoded exactly as the agent's own stdout would be,
/// by the family's connection into the running turn. The connection's own read loop stays idle, as the agent writes nothing
/// more.</summary>
internal sealed class RunningTurn : IAsyncDisposable
{
    private const string ProfileName = "sim";

    // An hour: the turn outlasts any benchmark run, and the agent writes nothing into it.
    private const string FirstTokenAfterMilliseconds = "3600000";

    private static readonly Dictionary<string, string[]> SimAgentArgs = new(StringComparer.Ordinal)
    {
        ["claude-stream-json"] = ["claude", "-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose",
            "--include-partial-messages"],
        ["acp-json-rpc"] = ["acp"],
        ["json-event-stream"] = ["codex", "exec", "--json", "-"],
        ["plain"] = ["plain"],
    };

    private readonly CancellationTokenSource _stop = new();
    private readonly string _dataDirectory;
    private IAgentConnection? _connection;
    private Task? _turn;

    private readonly ITurnEventSink _sink;

    private RunningTurn(string dataDirectory, ITurnEventSink sink)
    {
        _dataDirectory = dataDirectory;
        _sink = sink;
    }

    /// <summary>Takes a line or chunk as the connection's read loop would, into the running turn.</summary>
    public StdoutFilter Filter { get; private set; } = null!;

    /// <summary>The agent session the turn runs in (ACP lines must name it); null where the family names none up front.</summary>
    public string? SessionId => _connection?.SessionId;

    /// <summary>Starts a turn of <paramref name="family"/> whose events go to <paramref name="sink"/>.</summary>
    public static async Task<RunningTurn> StartAsync(string family, ITurnEventSink sink)
    {
        var running = new RunningTurn(Directory.CreateTempSubdirectory("workers-microbench-decode-").FullName, sink);
        try
        {
            await running.StartTurnAsync(family);
            return running;
        }
        catch
        {
            await running.DisposeAsync();
            throw;
        }
    }

    private async Task StartTurnAsync(string family)
    {
        var profile = new AgentProfile
        {
            Family = family,
            Command = Path.Combine(AppContext.BaseDirectory, "Workers.SimAgent"),
            Args = [.. SimAgentArgs[family]],
            Env = { ["SIM_FIRST_TOKEN_MS"] = FirstTokenAfterMilliseconds },
        };
        var catalog = new ProfileCatalog(new WorkersOptions { DataDirectory = _dataDirectory, Profiles = { [ProfileName] = profile } });
        var resolved = catalog.Get(ProfileName);
        var processes = new AgentLauncher(TimeProvider.System, NullLoggerFactory.Instance);
        var launcher = new FamilyLauncher(new AgentDrivers(AgentDrivers.BuiltIn), processes, TimeProvider.System,
            NullLoggerFactory.Instance);
        var directory = resolved.DefaultWorkingDirectory;
        _connection = launcher.Launch(resolved, new LaunchRequest(directory));
        using var startLimit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _connection.WaitReadyAsync(startLimit.Token);

        var turn = new TurnContext("micro-benchmark-turn", "Tell me about the build.", directory, new TurnClock(TimeProvider.System), _sink,
            new PermissionPolicy());
        var offer = _connection.SessionOffer;
        var step = offer.CanOpen ? SessionStep.OpenNew : SessionStep.TakeWaiting;
        await _connection.OpenSessionAsync(step, new SessionRequest(null, directory), turn, startLimit.Token);
        _turn = _connection.RunTurnAsync(turn, _stop.Token);

        var handler = (IStdoutHandler)_connection;
        while (handler.ActiveTurn != turn)
        {
            startLimit.Token.ThrowIfCancellationRequested();
            await Task.Delay(10, startLimit.Token);
        }

        // What the agent writes before its first token (Claude's system/init, ACP's command list) has passed its read loop
        // by now: the benchmark's lines do not race it.
        await Task.Delay(TimeSpan.FromMilliseconds(250), startLimit.Token);
        // No limit on the turn's output: the benchmark feeds one turn millions of lines.
        var processId = _connection.Process.ProcessId;
        Filter = new StdoutFilter(handler, resolved.Options.MaxLineBytes, maxTurnOutputBytes: long.MaxValue, NullLogger.Instance,
            processId);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_turn is not null)
        {
            await _turn.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        _stop.Dispose();
        Directory.Delete(_dataDirectory, recursive: true);
    }
}

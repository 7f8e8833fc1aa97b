using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Workers.Profiles;

namespace Workers.Benchmarks;

/// <summary>The floor: an agent CLI driven straight over its stdio with a few hand-written protocol lines, no Workers code
/// in between. Started and its session opened before any timing, so a prompt's wait (written → first text delta) is the
/// agent's own and nothing else.</summary>
internal abstract class DirectAgent : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<(JsonElement Line, long At)> _lines = Channel.CreateUnbounded<(JsonElement, long)>();
    private readonly Task _reader;

    protected DirectAgent(string command, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        WorkingDirectory = workingDirectory;
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            // Read and dropped, as the service reads an agent's stderr: a CLI that logs there (claude-agent-acp does, on every
            // turn) must not write into the benchmark's output or block on a full pipe.
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"{command} did not start");
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        _reader = Task.Run(ReadLinesAsync);
    }

    protected string WorkingDirectory { get; }

    public int ProcessId => _process.Id;

    /// <summary>Brings the agent to the state a pooled process is in before its turn: ready, with a session open.</summary>
    public abstract Task OpenSessionAsync(CancellationToken cancellationToken);

    /// <summary>Sends one prompt and reads to the end of its answer; returns ms from the prompt's write to the first
    /// non-empty text delta.</summary>
    public async Task<double> PromptAsync(string text, CancellationToken cancellationToken)
    {
        var line = PromptLine(text);
        var sentAt = Stopwatch.GetTimestamp();
        await WriteAsync(line);
        double? firstToken = null;
        while (true)
        {
            var (message, at) = await _lines.Reader.ReadAsync(cancellationToken);
            if (firstToken is null && IsFirstToken(message))
            {
                firstToken = Stopwatch.GetElapsedTime(sentAt, at).TotalMilliseconds;
            }

            if (IsTurnEnd(message))
            {
                return firstToken ?? throw new InvalidOperationException($"the turn ended without text: {message}");
            }
        }
    }

    protected abstract string PromptLine(string text);

    protected abstract bool IsFirstToken(JsonElement message);

    protected abstract bool IsTurnEnd(JsonElement message);

    protected async Task WriteAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Reads lines until <paramref name="match"/> accepts one, skipping the rest.</summary>
    protected async Task<JsonElement> ReadUntilAsync(Func<JsonElement, bool> match, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (message, _) = await _lines.Reader.ReadAsync(cancellationToken);
            if (match(message))
            {
                return message;
            }
        }
    }

    /// <summary>Each line is stamped as it is read, before it is parsed, so the parse is not counted against the agent.</summary>
    private async Task ReadLinesAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            var at = Stopwatch.GetTimestamp();
            if (line.Length > 0 && line[0] == '{')
            {
                using var document = JsonDocument.Parse(line);
                _lines.Writer.TryWrite((document.RootElement.Clone(), at));
            }
        }

        _lines.Writer.TryComplete(new InvalidOperationException($"the agent (pid {_process.Id}) closed its stdout"));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        await _reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _process.Dispose();
    }

    /// <summary>A driver for <paramref name="family"/> (<c>acp-json-rpc</c> or <c>claude-stream-json</c>) on the simulated
    /// agent, launched with the same arguments as the benchmark's profiles.</summary>
    public static DirectAgent Start(string family, string command, IReadOnlyDictionary<string, string> environment, string workingDirectory) =>
        Start(family, command, family == "claude-stream-json" ? ["claude", .. DirectClaudeAgent.StreamJsonArgs] : ["acp"], environment,
            workingDirectory);

    /// <summary>The floor of a real CLI: <paramref name="profile"/>'s executable, arguments (Claude's with a preset session id, as
    /// Workers' driver adds one), environment and default working directory; an ACP agent is offered the client capabilities
    /// Workers offers, so that it sets up the same session.</summary>
    public static DirectAgent StartLike(ResolvedProfile profile)
    {
        var options = profile.Options;
        var args = profile.Family == "claude-stream-json" ? [.. options.Args, $"--session-id={Guid.NewGuid()}"] : options.Args;
        var agent = Start(profile.Family, profile.FileName ?? throw new ArgumentException($"{profile.Name} is not available", nameof(profile)),
            args, profile.Environment, profile.DefaultWorkingDirectory);
        if (agent is DirectAcpAgent acp)
        {
            acp.ClientCapabilities = new
            {
                fs = new { readTextFile = options.ClientFileSystem, writeTextFile = options.ClientFileSystem },
                terminal = false,
            };
        }

        return agent;
    }

    /// <summary>A driver for <paramref name="family"/> launching <paramref name="command"/> with <paramref name="args"/> (a
    /// real CLI: its profile's arguments).</summary>
    public static DirectAgent Start(string family, string command, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment,
        string workingDirectory) =>
        family switch
        {
            "acp-json-rpc" => new DirectAcpAgent(command, args, environment, workingDirectory),
            "claude-stream-json" => new DirectClaudeAgent(command, args, environment, workingDirectory),
            _ => throw new ArgumentException($"no direct driver for family {family}", nameof(family)),
        };
}

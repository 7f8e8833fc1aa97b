using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using StreamJsonRpc;
using Workers.Processes;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Families.Acp;

/// <summary>An ACP agent process (<c>specs/families.md</c>). Readiness is the <c>initialize</c> answer; sessions are
/// opened, resumed or loaded per turn as the profile and the agent's capabilities allow; a turn is one
/// <c>session/prompt</c> whose <c>session/update</c>s are its events. Stdout passes through a filter before
/// StreamJsonRpc sees it, because one unparsable line would otherwise end the connection.</summary>
public sealed partial class AcpConnection : IAgentConnection
{
    private const int ProtocolVersion = 1;

    private readonly Pipe _rpcInput = new(new PipeOptions(useSynchronizationContext: false));
    private readonly ResolvedProfile _profile;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly JsonRpc _rpc;
    private readonly Task _filterLoop;
    private readonly Lock _lock = new();
    private Task? _initialize;
    private TurnContext? _promptTurn;
    private TaskCompletionSource<TurnOutcome>? _turnAbort;
    private PreopenedSession? _preopened;
    private volatile bool _cancelRequested;
    private volatile bool _broken;
    private int _turnsServed;
    private int _disposed;

    internal AcpConnection(AgentProcess process, ResolvedProfile profile, TimeProvider timeProvider, ILogger logger)
    {
        Process = process;
        _profile = profile;
        _timeProvider = timeProvider;
        _logger = logger;
        _filterLoop = Task.Run(FilterOutputAsync);

        var handler = new NewLineDelimitedMessageHandler(process.Input, _rpcInput.Reader, new SystemTextJsonFormatter())
        {
            NewLine = NewLineDelimitedMessageHandler.NewLineStyle.Lf,
        };
        _rpc = new AcpJsonRpc(handler)
        {
            // ACP cancels a turn with the `session/cancel` notification, not `$/cancelRequest`.
            CancellationStrategy = null,
        };
        _rpc.AddLocalRpcTarget(new AcpClientTarget(this), new JsonRpcTargetOptions { DisposeOnDisconnect = false });
        _rpc.Disconnected += (_, e) => LogDisconnected(_logger, Process.ProcessId, e.Reason.ToString(), e.Description);
        _rpc.StartListening();
    }

    /// <summary>The process, with its pipes: JSON-RPC runs over them.</summary>
    private AgentProcess Process { get; }

    IAgentProcess IAgentConnection.Process => Process;

    public long? ReadyTimestamp { get; private set; }

    public AcpAgentCapabilities? Capabilities { get; private set; }

    public string? SessionId { get; private set; }

    public string? SessionWorkingDirectory { get; private set; }

    public int TurnsServed => Volatile.Read(ref _turnsServed);

    public event Action<string>? VersionReported;

    public bool CanServeAnotherTurn => !_broken && !Process.HasExited && !_rpc.IsDisposed && !_rpc.Completion.IsCompleted;

    public Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _initialize ??= InitializeAsync();
        }

        return _initialize.WaitAsync(cancellationToken);
    }

    private async Task InitializeAsync()
    {
        var result = await InvokeAsync("initialize", new
        {
            protocolVersion = ProtocolVersion,
            clientCapabilities = new
            {
                fs = new { readTextFile = _profile.Options.ClientFileSystem, writeTextFile = _profile.Options.ClientFileSystem },
                terminal = false,
            },
            clientInfo = new { name = "workers", title = "Workers", version = typeof(AcpConnection).Assembly.GetName().Version?.ToString() ?? "1" },
        }, CancellationToken.None);
        ReadyTimestamp = _timeProvider.GetTimestamp();
        if (result.Long("protocolVersion") is { } version && version != ProtocolVersion)
        {
            _broken = true;
            throw new TurnFailedException(FailureReasons.ProtocolError, $"The agent speaks ACP version {version}; Workers speaks {ProtocolVersion}.")
            {
                BeforeOutput = true,
            };
        }

        Capabilities = AcpAgentCapabilities.Parse(result);
        if (Capabilities.AgentVersion is { } agentVersion)
        {
            VersionReported?.Invoke(Capabilities.AgentName is { } name ? $"{name} {agentVersion}" : agentVersion);
        }
    }

    public async Task PreopenSessionAsync(string workingDirectory, CancellationToken cancellationToken)
    {
        await WaitReadyAsync(cancellationToken);
        var result = await InvokeAsync("session/new", new { cwd = workingDirectory, mcpServers = Array.Empty<object>() }, cancellationToken);
        var sessionId = result.Str("sessionId") ?? throw ProtocolError("session/new answered without a sessionId.");
        _preopened = new PreopenedSession(sessionId, workingDirectory);
    }

    public async Task<SessionOpened> OpenSessionAsync(SessionRequest request, TurnContext turn, CancellationToken cancellationToken)
    {
        await WaitReadyAsync(cancellationToken);
        var capabilities = Capabilities!;
        if (request.ResumeSessionId is { } wanted && wanted == SessionId && request.WorkingDirectory == SessionWorkingDirectory)
        {
            turn.Clock.MarkSessionReady();
            return new SessionOpened(SessionId, StartKinds.Live);
        }

        var previous = SessionId;
        SessionOpened opened;
        if (request.ResumeSessionId is { } resumeId && ChooseResumeMethod(capabilities) is { } method)
        {
            await InvokeSessionAsync(method, resumeId, new { sessionId = resumeId, cwd = request.WorkingDirectory, mcpServers = Array.Empty<object>() },
                cancellationToken);
            opened = new SessionOpened(resumeId, StartKinds.Resumed);
        }
        else if (request.ResumeSessionId is null && _preopened is { } preopened && preopened.WorkingDirectory == request.WorkingDirectory)
        {
            _preopened = null;
            opened = new SessionOpened(preopened.SessionId, StartKinds.Prewarmed);
        }
        else
        {
            var result = await InvokeAsync("session/new", new { cwd = request.WorkingDirectory, mcpServers = Array.Empty<object>() }, cancellationToken);
            var sessionId = result.Str("sessionId") ?? throw ProtocolError("session/new answered without a sessionId.");
            opened = new SessionOpened(sessionId, StartKinds.New, request.ResumeSessionId is null ? null : FallbackReasons.ResumeUnsupported);
        }

        turn.Clock.MarkSessionReady();
        SessionId = opened.SessionId;
        SessionWorkingDirectory = request.WorkingDirectory;
        if (previous is not null && previous != SessionId && capabilities.CloseSession)
        {
            // The process changes hands: free the old session in the agent (it stays resumable).
            _ = CloseSessionAsync(previous);
        }

        return opened;
    }

    /// <summary><c>session/close</c> is a request; its answer (or error) does not matter to the turn.</summary>
    private async Task CloseSessionAsync(string sessionId)
    {
        try
        {
            await _rpc.InvokeWithParameterObjectAsync<JsonElement>("session/close", new { sessionId }, CancellationToken.None);
        }
        catch (Exception ex) when (ex is RemoteInvocationException or ConnectionLostException or ObjectDisposedException)
        {
            // The agent keeps the session in memory a while longer; it stays resumable either way.
        }
    }

    private string? ChooseResumeMethod(AcpAgentCapabilities capabilities) => _profile.Options.Resume switch
    {
        // `session/resume` skips the history replay that `session/load` pays for (~0.9 s on claude-code-acp).
        ResumeMode.Auto when capabilities.ResumeSession => "session/resume",
        ResumeMode.Auto when capabilities.LoadSession => "session/load",
        ResumeMode.Resume when capabilities.ResumeSession => "session/resume",
        ResumeMode.Load when capabilities.LoadSession => "session/load",
        _ => null,
    };

    private async Task InvokeSessionAsync(string method, string sessionId, object arguments, CancellationToken cancellationToken)
    {
        try
        {
            await InvokeAsync(method, arguments, cancellationToken);
        }
        catch (TurnFailedException ex) when (ex.InnerException is RemoteInvocationException remote
            && (remote.ErrorCode == StaleSessionPatterns.AcpResourceNotFound || StaleSessionPatterns.IsStale(AcpJsonRpc.Describe(remote))
                || AcpJsonRpc.IsClosedDuringResume(remote)))
        {
            throw new StaleSessionException(sessionId, $"The agent rejected {method} of session {sessionId}: {remote.Message}");
        }
    }

    public async Task<TurnOutcome> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        if (SessionId is null)
        {
            throw new InvalidOperationException("OpenSessionAsync must run before RunTurnAsync.");
        }

        Interlocked.Increment(ref _turnsServed);
        ForgetToolCalls();
        var abort = new TaskCompletionSource<TurnOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _cancelRequested = false;
            _turnAbort = abort;
            _promptTurn = turn;
        }

        try
        {
            turn.Clock.MarkPromptSent();
            var prompt = _rpc.InvokeWithParameterObjectAsync<JsonElement>("session/prompt", new
            {
                sessionId = SessionId,
                prompt = new[] { new { type = "text", text = turn.Prompt } },
            }, CancellationToken.None);
            var first = await Task.WhenAny(prompt, abort.Task).WaitAsync(cancellationToken);
            if (first == abort.Task)
            {
                _ = prompt.ContinueWith(static t => t.Exception, TaskScheduler.Default);
                return await abort.Task;
            }

            return OutcomeOf(turn, await prompt);
        }
        catch (RemoteInvocationException ex)
        {
            var detail = AcpJsonRpc.Describe(ex);
            var reason = AcpJsonRpc.Classify(ex);
            return TurnOutcome.Failed(reason == FailureReasons.Unclassified ? FailureReasons.AgentError : reason,
                $"The agent answered the prompt with error {ex.ErrorCode}: {detail}", beforeOutput: !turn.HasOutput);
        }
        catch (ConnectionLostException)
        {
            return await ExitOutcomeAsync(turn);
        }
        finally
        {
            turn.Clock.MarkFinished();
            lock (_lock)
            {
                _promptTurn = null;
                _turnAbort = null;
            }
        }
    }

    private static TurnOutcome OutcomeOf(TurnContext turn, JsonElement result)
    {
        UsageReported? usage = null;
        if (result.Obj("usage") is { } u)
        {
            usage = new UsageReported(u.Long("inputTokens"), u.Long("outputTokens"), u.Long("cachedReadTokens"), u.Long("cachedWriteTokens"));
            turn.Emit(usage);
        }
        else if (result.Obj("_meta")?.Obj("quota")?.Obj("token_count") is { } quota)
        {
            // gemini --acp reports the prompt's tokens only under `_meta.quota.token_count`.
            usage = new UsageReported(quota.Long("input_tokens"), quota.Long("output_tokens"), null, null);
            turn.Emit(usage);
        }

        var stopReason = result.Str("stopReason");
        return stopReason switch
        {
            "cancelled" => TurnOutcome.Cancelled("The agent stopped at the producer's request.", usage),
            null => TurnOutcome.Failed(FailureReasons.ProtocolError, "session/prompt answered without a stopReason.", !turn.HasOutput, usage),
            _ => TurnOutcome.Succeeded(stopReason, usage),
        };
    }

    private async Task<TurnOutcome> ExitOutcomeAsync(TurnContext turn)
    {
        var exit = await Process.WaitForExitAsync(TimeSpan.FromSeconds(2));
        var reason = turn.HasOutput ? FailureReasons.ProcessExitMidStream : FailureReasons.ProcessExitBeforeOutput;
        return TurnOutcome.Failed(reason, $"Agent process {Process.ProcessId} exited{AgentExit.Describe(exit)} during the turn. {StderrSummary()}",
            beforeOutput: !turn.HasOutput);
    }

    public async Task CancelTurnAsync(CancellationToken cancellationToken)
    {
        _cancelRequested = true;
        if (SessionId is { } sessionId && !_rpc.IsDisposed)
        {
            try
            {
                await _rpc.NotifyWithParameterObjectAsync("session/cancel", new { sessionId }).WaitAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is ConnectionLostException or ObjectDisposedException)
            {
                // Gone: the turn ends with the exit.
            }
        }
    }

    private async Task<JsonElement> InvokeAsync(string method, object arguments, CancellationToken cancellationToken)
    {
        try
        {
            // Our own wait: with no cancellation strategy the call itself is never cancelled on the wire.
            return await _rpc.InvokeWithParameterObjectAsync<JsonElement>(method, arguments, CancellationToken.None).WaitAsync(cancellationToken);
        }
        catch (RemoteInvocationException ex)
        {
            var classified = AcpJsonRpc.Classify(ex);
            var reason = classified == FailureReasons.Unclassified ? FailureReasons.AgentError : classified;
            throw new TurnFailedException(reason, $"The agent answered {method} with error {ex.ErrorCode}: {AcpJsonRpc.Describe(ex)}", ex)
            {
                BeforeOutput = true,
            };
        }
        catch (ConnectionLostException ex)
        {
            var exit = await Process.WaitForExitAsync(TimeSpan.FromSeconds(2));
            throw new TurnFailedException(FailureReasons.ProcessExitBeforeOutput,
                $"Agent process {Process.ProcessId} went away during {method}{AgentExit.Describe(exit)}. {StderrSummary()}", ex) { BeforeOutput = true };
        }
    }

    private TurnFailedException ProtocolError(string message)
    {
        _broken = true;
        return new TurnFailedException(FailureReasons.ProtocolError, message) { BeforeOutput = true };
    }

    private string StderrSummary() => Process.Stderr.Summary();

    private async Task FilterOutputAsync()
    {
        try
        {
            await foreach (var output in Process.Output.ReadAllAsync())
            {
                if (output.Kind == AgentOutputKind.OversizedLine)
                {
                    AbortTurn(FailureReasons.ProtocolError,
                        $"The agent wrote a {output.Bytes}-byte line; the limit is {_profile.Options.MaxLineBytes} (MaxLineBytes).");
                    continue;
                }

                if (string.IsNullOrWhiteSpace(output.Text))
                {
                    continue;
                }

                var bytes = Encoding.UTF8.GetBytes(output.Text);
                if (!IsJsonObject(bytes))
                {
                    // The ACP SDKs log and skip unparsable lines; StreamJsonRpc would drop the connection.
                    var preview = output.Text.Length > 120 ? output.Text[..120] + "…" : output.Text;
                    CurrentTurn()?.Emit(new AgentNotice("unparsable_line", $"Skipped a line that is not a JSON object: {preview}"));
                    continue;
                }

                if (TryHandleSessionUpdate(bytes))
                {
                    continue;
                }

                await _rpcInput.Writer.WriteAsync(bytes);
                await _rpcInput.Writer.WriteAsync("\n"u8.ToArray());
            }
        }
        finally
        {
            await _rpcInput.Writer.CompleteAsync();
        }
    }

    /// <summary>Handles a <c>session/update</c> notification here, in stdout order, instead of through StreamJsonRpc: its
    /// handlers run on pool threads, so under load the prompt's answer could be seen before the last updates that the
    /// agent wrote ahead of it, cutting the end off the turn's text. Handled here, every update is done before the
    /// answer that follows it even reaches the JSON-RPC reader.</summary>
    private bool TryHandleSessionUpdate(byte[] bytes)
    {
        if (bytes.AsSpan().IndexOf("\"session/update\""u8) < 0)
        {
            return false;
        }

        using var document = JsonDocument.Parse(bytes);
        var root = document.RootElement;
        if (root.Str("method") != "session/update" || root.TryGetProperty("id", out _))
        {
            return false;
        }

        OnSessionUpdate(root.Prop("params") ?? default);
        return true;
    }

    private static bool IsJsonObject(byte[] bytes)
    {
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private void AbortTurn(string reason, string message)
    {
        _broken = true;
        TaskCompletionSource<TurnOutcome>? abort;
        TurnContext? turn;
        lock (_lock)
        {
            abort = _turnAbort;
            turn = _promptTurn;
        }

        abort?.TrySetResult(TurnOutcome.Failed(reason, message, beforeOutput: turn?.HasOutput != true));
    }

    private TurnContext? CurrentTurn()
    {
        lock (_lock)
        {
            return _promptTurn;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        // Disposing the JSON-RPC connection closes the agent's stdin; agents that ignore EOF
        // (claude-code-acp, codex-acp) get SIGTERM, then SIGKILL, from StopAsync.
        _rpc.Dispose();
        await Process.StopAsync(_profile.Options.Timeouts.GracefulStop);
        await _filterLoop;
        await Process.DisposeAsync();
    }

    private sealed record PreopenedSession(string SessionId, string WorkingDirectory);
}

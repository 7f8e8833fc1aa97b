using System.Text.Json;
using Microsoft.Extensions.Logging;
using StreamJsonRpc;
using Workers.Logging;
using Workers.Processes;
using Workers.Turns;

namespace Workers.Families.Acp;

/// <summary>JSON-RPC with an ACP agent: StreamJsonRpc writes to the agent's stdin and reads only the lines that the
/// stdout filter passes on (<see cref="ForwardAsync"/>), never stdout itself, because one unparsable line would end its
/// connection. Of the responses, only the first answer to a request of ours still waiting goes on (<see cref="PendingRequests"/>):
/// StreamJsonRpc would drop its connection on any other. Requests made through <see cref="RequestAsync"/> turn an error answer
/// or a lost connection into a <see cref="TurnFailedException"/> with a named reason.</summary>
internal sealed partial class AcpRpcChannel : IDisposable
{
    private readonly PendingRequests _pending = new();
    private readonly AcpMessageHandler _handler;
    private readonly AgentProcess _process;
    private readonly ILogger _logger;
    private readonly JsonRpc _rpc;
    private long _strayResponses;

    public AcpRpcChannel(AgentProcess process, object clientTarget, ILogger logger)
    {
        _process = process;
        _logger = logger;
        _handler = new AcpMessageHandler(process.Input, _pending)
        {
            NewLine = NewLineDelimitedMessageHandler.NewLineStyle.Lf,
        };
        _rpc = new AcpJsonRpc(_handler)
        {
            // ACP cancels a turn with the `session/cancel` notification, not `$/cancelRequest`.
            CancellationStrategy = null,
        };
        _rpc.AddLocalRpcTarget(clientTarget, new JsonRpcTargetOptions { DisposeOnDisconnect = false });
        _rpc.Disconnected += (_, e) => LogDisconnected(logger, process.ProcessId, e.Reason.ToString(), e.Description);
        _rpc.StartListening();
    }

    public bool IsDisposed => _rpc.IsDisposed;

    /// <summary>False once the connection was disposed or ended.</summary>
    public bool IsOpen => !_rpc.IsDisposed && !_rpc.Completion.IsCompleted;

    /// <summary>How many responses the agent sent to no request of ours still waiting (dropped).</summary>
    public long StrayResponses => Interlocked.Read(ref _strayResponses);

    /// <summary>Passes one message of stdout (<paramref name="message"/>, as the UTF-8 <paramref name="line"/>) on to the
    /// JSON-RPC reader; a response that answers no request of ours still waiting is dropped and logged (the first of the
    /// process at Warning, the rest at Debug, so that a flood of them does not flood the log), never handed to a turn.</summary>
    public async ValueTask ForwardAsync(JsonElement message, ReadOnlyMemory<byte> line)
    {
        if (!message.TryGetProperty("method", out _) && !(message.TryGetProperty("id", out var id) && _pending.TryTake(id)))
        {
            var raw = message.TryGetProperty("id", out var strayId) ? strayId.GetRawText() : "none";
            if (Interlocked.Increment(ref _strayResponses) == 1)
            {
                LogFirstStrayResponse(_logger, _process.ProcessId, raw);
            }
            else
            {
                LogStrayResponse(_logger, _process.ProcessId, raw);
            }

            return;
        }

        await _handler.AcceptAsync(line);
    }

    /// <summary>Stdout has ended: so has the JSON-RPC reader's input.</summary>
    public ValueTask CompleteInboundAsync()
    {
        _handler.CompleteInbound();
        return ValueTask.CompletedTask;
    }

    /// <summary>A request whose failure fails what asked for it: an error answer by its classified reason (else
    /// <c>agent_error</c>; a method or parameters the agent does not take, too), a lost connection as
    /// <c>process_exit_before_output</c>.</summary>
    public async Task<JsonElement> RequestAsync(string method, object arguments, CancellationToken cancellationToken)
    {
        try
        {
            // Our own wait: with no cancellation strategy the call itself is never cancelled on the wire.
            return await SendAsync(method, arguments).WaitAsync(cancellationToken);
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
        catch (RemoteMethodNotFoundException ex)
        {
            // StreamJsonRpc reads -32601 and -32602 (invalid params) as this, apart from every other error answer.
            throw new TurnFailedException(FailureReasons.AgentError,
                $"The agent answered {method} with error {(int)ex.ErrorCode}: {AcpJsonRpc.Describe(ex)}", ex)
            {
                BeforeOutput = true,
            };
        }
        catch (ConnectionLostException ex)
        {
            var exit = await _process.WaitForExitAsync(TimeSpan.FromSeconds(2));
            throw new TurnFailedException(FailureReasons.ProcessExitBeforeOutput,
                $"Agent process {_process.ProcessId} went away during {method}{AgentExit.Describe(exit)}. {_process.Stderr.Summary()}", ex)
            {
                BeforeOutput = true,
            };
        }
    }

    /// <summary>A request as it is: its errors are the caller's to take. A request that could not be written because the
    /// agent's stdin was closed under it (the process died as it was sent: the writer throws
    /// <see cref="InvalidOperationException"/>) is a lost connection, like one whose answer never came.</summary>
    public async Task<JsonElement> SendAsync(string method, object arguments)
    {
        try
        {
            return await _rpc.InvokeWithParameterObjectAsync<JsonElement>(method, arguments, CancellationToken.None);
        }
        catch (InvalidOperationException ex)
        {
            if (await _process.WaitForExitAsync(TimeSpan.FromSeconds(2)) is null)
            {
                throw;
            }

            throw new ConnectionLostException($"Agent process {_process.ProcessId} exited while {method} was being sent.", ex);
        }
    }

    public Task NotifyAsync(string method, object arguments) => _rpc.NotifyWithParameterObjectAsync(method, arguments);

    /// <summary>Closes the agent's stdin.</summary>
    public void Dispose() => _rpc.Dispose();

    [LoggerMessage(EventId = EventIds.Families + 21, Level = LogLevel.Warning,
        Message = "Agent process {ProcessId} answered a request that is not waiting (id {Id}); dropped, as any more will be")]
    private static partial void LogFirstStrayResponse(ILogger logger, int processId, string id);

    [LoggerMessage(EventId = EventIds.Families + 22, Level = LogLevel.Debug,
        Message = "Agent process {ProcessId} answered a request that is not waiting (id {Id}); dropped")]
    private static partial void LogStrayResponse(ILogger logger, int processId, string id);

    [LoggerMessage(EventId = EventIds.Families + 20, Level = LogLevel.Debug,
        Message = "JSON-RPC connection to agent process {ProcessId} ended: {Reason} {Description}")]
    private static partial void LogDisconnected(ILogger logger, int processId, string reason, string description);
}

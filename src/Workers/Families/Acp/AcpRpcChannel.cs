using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using StreamJsonRpc;
using Workers.Logging;
using Workers.Processes;
using Workers.Turns;

namespace Workers.Families.Acp;

/// <summary>JSON-RPC with an ACP agent: StreamJsonRpc writes to the agent's stdin and reads only the lines that the
/// stdout filter passes on (<see cref="ForwardAsync"/>), never stdout itself, because one unparsable line would end its
/// connection. Requests made through <see cref="RequestAsync"/> turn an error answer or a lost connection into a
/// <see cref="TurnFailedException"/> with a named reason.</summary>
internal sealed partial class AcpRpcChannel : IDisposable
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly Pipe _inbound = new(new PipeOptions(useSynchronizationContext: false));
    private readonly AgentProcess _process;
    private readonly JsonRpc _rpc;

    public AcpRpcChannel(AgentProcess process, object clientTarget, ILogger logger)
    {
        _process = process;
        var handler = new NewLineDelimitedMessageHandler(process.Input, _inbound.Reader, new SystemTextJsonFormatter())
        {
            NewLine = NewLineDelimitedMessageHandler.NewLineStyle.Lf,
        };
        _rpc = new AcpJsonRpc(handler)
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

    /// <summary>Passes one line of stdout on to the JSON-RPC reader.</summary>
    public async ValueTask ForwardAsync(ReadOnlyMemory<byte> line)
    {
        await _inbound.Writer.WriteAsync(line);
        await _inbound.Writer.WriteAsync(NewLine);
    }

    /// <summary>Stdout has ended: so has the JSON-RPC reader's input.</summary>
    public ValueTask CompleteInboundAsync() => _inbound.Writer.CompleteAsync();

    /// <summary>A request whose failure fails what asked for it: an error answer by its classified reason (else
    /// <c>agent_error</c>), a lost connection as <c>process_exit_before_output</c>.</summary>
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

    [LoggerMessage(EventId = EventIds.Families + 20, Level = LogLevel.Debug,
        Message = "JSON-RPC connection to agent process {ProcessId} ended: {Reason} {Description}")]
    private static partial void LogDisconnected(ILogger logger, int processId, string reason, string description);
}

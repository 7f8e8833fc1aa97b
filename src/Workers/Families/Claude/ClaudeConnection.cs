using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Workers.Processes;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Families.Claude;

/// <summary>A Claude Code process in stream-json mode (<c>specs/families.md</c>). Readiness is the answer to an
/// <c>initialize</c> control request; the session is fixed at launch (<c>--session-id</c> or <c>--resume</c>);
/// each turn is one <c>user</c> line and ends with a <c>result</c>. This type holds what belongs to the process
/// (readiness, the launch's session, the prompt, cancel, the exit); the control protocol is
/// <see cref="ClaudeControlProtocol"/>, and each turn's output is decoded by its own <see cref="ClaudeTurnDecoder"/>.</summary>
internal sealed partial class ClaudeConnection : StdioConnection, IClaudeTurnOwner
{
    /// <summary>The message types <see cref="OnMessage"/> tells apart; any other is skipped.</summary>
    private static readonly string[] MessageTypes = ["control_response", "control_request", "system", "result", "stream_event", "assistant", "user"];

    private readonly ClaudeControlProtocol _control = new();
    private readonly LaunchRequest _launch;
    private readonly string _launchSessionId;

    // The decoder of the latest turn: replaced when a turn's prompt is written, read by the read loop.
    private volatile ClaudeTurnDecoder? _decoder;

    internal ClaudeConnection(AgentProcess process, ResolvedProfile profile, LaunchRequest launch, string sessionId,
        TimeProvider timeProvider, ILogger logger)
        : base(process, profile, timeProvider, logger)
    {
        _launch = launch;
        _launchSessionId = sessionId;
        SessionId = sessionId;
        SessionWorkingDirectory = launch.WorkingDirectory;
        StartReadingOutput();
    }

    public override bool CanServeAnotherTurn => !OutputEnded && !IsBroken && !Process.HasExited;

    public override async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        if (ReadyTimestamp is not null)
        {
            return;
        }

        // The readiness probe: the CLI answers `initialize` only once its start-up work is done.
        await SendControlRequestAsync(new JsonObject { ["subtype"] = "initialize", ["hooks"] = null }, cancellationToken);
        ReadyTimestamp ??= TimeProvider.GetTimestamp();
    }

    protected override HeldSession LaunchSession => new(_launchSessionId, _launch.WorkingDirectory,
        _launch.ResumeSessionId is not null ? StartKinds.Resumed
        : _launch.PresetSessionId is not null ? StartKinds.Prewarmed
        : StartKinds.New);

    protected override async Task SendPromptAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        _decoder = new ClaudeTurnDecoder(turn, this, Profile.Options.MaxProviderRetries, TimeProvider);
        var line = new JsonObject
        {
            ["type"] = "user",
            ["message"] = new JsonObject { ["role"] = "user", ["content"] = turn.Prompt },
            ["parent_tool_use_id"] = null,
            ["session_id"] = "default",
        }.ToJsonString();
        turn.Clock.MarkPromptSent();
        await Process.WriteLineAsync(line, cancellationToken);
    }

    public override async Task CancelTurnAsync(CancellationToken cancellationToken)
    {
        _decoder?.RequestCancel();
        try
        {
            await SendControlRequestAsync(new JsonObject { ["subtype"] = "interrupt" }, cancellationToken);
        }
        catch (TurnFailedException)
        {
            // The process is gone: the turn ends with the exit.
        }
    }

    protected override void OnMessage(JsonElement message)
    {
        switch (message.OneOf("type", MessageTypes))
        {
            case "control_response":
                _control.OnResponse(message);
                break;
            case "control_request" when ActiveTurn is var turn && ClaudeControlProtocol.Answer(message, turn, Profile) is { } answer:
                if (answer.RefusalIfNotRecorded is { } refusal && turn is not null)
                {
                    // A tool may run only once its use is recorded: the answer waits for that, off the reader.
                    _ = turn.CommitToolUseAsync().ContinueWith(t => WriteInBackground(t.Result ? answer.Line : refusal),
                        CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                }
                else
                {
                    WriteInBackground(answer.Line);
                }

                break;
            case "system" when message.Is("subtype", "init"):
                // The session id and the CLI's version belong to the process: taken even outside a turn.
                SessionId = message.Str("session_id") ?? SessionId;
                DecoderOfActiveTurn()?.OnMessage(message);
                ReportVersion(message.Str("claude_code_version"));
                break;
            case "result" when DecoderOfActiveTurn() is { } decoder:
                // Before the turn completes: whoever reads the outcome reads the session id the result named.
                SessionId = message.Str("session_id") ?? SessionId;
                decoder.OnMessage(message);
                break;
            case "system" or "stream_event" or "assistant" or "user":
                DecoderOfActiveTurn()?.OnMessage(message);
                break;
            default:
                // rate_limit_event, control_cancel_request and types newer than this driver: skipped, as the SDK does.
                break;
        }
    }

    /// <summary>The running turn's decoder; null outside a turn (lines after a turn ended are not the next turn's).</summary>
    private ClaudeTurnDecoder? DecoderOfActiveTurn() =>
        _decoder is { } decoder && ReferenceEquals(decoder.Turn, ActiveTurn) ? decoder : null;

    void IClaudeTurnOwner.CompleteTurn(TurnOutcome outcome) => CompleteTurn(outcome);

    void IClaudeTurnOwner.RetireProcess() => MarkBroken();

    private async Task<JsonElement> SendControlRequestAsync(JsonObject request, CancellationToken cancellationToken)
    {
        var sent = _control.Start(request);
        try
        {
            // Statement order matters: registered first, so an end of output either fails the request or is seen here.
            if (OutputEnded)
            {
                throw ExitedBeforeReady(null);
            }

            try
            {
                await Process.WriteLineAsync(sent.Line, cancellationToken);
            }
            catch (IOException)
            {
                // Gone already: the end of output fails the pending request with the exit's reason.
            }

            return await sent.Answer.WaitAsync(cancellationToken);
        }
        finally
        {
            _control.Forget(sent.Id);
        }
    }

    private void WriteInBackground(string line) =>
        _ = Process.WriteLineAsync(line, CancellationToken.None).AsTask().ContinueWith(
            t => LogControlWriteFailed(Logger, Process.ProcessId, t.Exception!.GetBaseException()),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    protected override void OnProcessEnded(AgentExit? exit) => _control.FailPending(() => ExitedBeforeReady(exit));

    private TurnFailedException ExitedBeforeReady(AgentExit? exit)
    {
        if (StaleLaunchResume() is { } resumed)
        {
            return new StaleSessionException(resumed, $"The agent does not know session {resumed}. {StderrSummary()}");
        }

        return new TurnFailedException(FailureReasons.ProcessExitBeforeOutput,
            $"Agent process {Process.ProcessId} exited{ExitText(exit)} before it was ready. {StderrSummary()}") { BeforeOutput = true };
    }
}

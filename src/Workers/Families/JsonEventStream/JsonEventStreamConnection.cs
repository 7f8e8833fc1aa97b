using System.Text.Json;
using Microsoft.Extensions.Logging;
using Workers.Processes;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Families.JsonEventStream;

/// <summary>A <c>codex exec --json</c> process (<c>specs/families.md</c>). Nothing is printed before the prompt
/// and its EOF, so readiness (<c>thread.started</c>) and session (<c>turn.started</c>) show during the turn. The
/// turn ends at <c>turn.completed</c>/<c>turn.failed</c>; the process exit is awaited off the turn's path.</summary>
internal sealed class JsonEventStreamConnection : StdioConnection
{
    /// <summary>The event and item types the decoder tells apart; any other is skipped.</summary>
    private static readonly string[] EventTypes =
        ["thread.started", "turn.started", "item.started", "item.updated", "item.completed", "error", "turn.completed", "turn.failed"];

    private static readonly string[] ItemTypes = ["agent_message", "reasoning", "command_execution", "file_change", "mcp_tool_call", "web_search"];

    private readonly LaunchRequest _launch;
    private string? _lastError;

    internal JsonEventStreamConnection(AgentProcess process, ResolvedProfile profile, LaunchRequest launch, TimeProvider timeProvider,
        ILogger logger)
        : base(process, profile, timeProvider, logger)
    {
        _launch = launch;
        SessionId = launch.ResumeSessionId;
        SessionWorkingDirectory = launch.WorkingDirectory;
        StartReadingOutput();
    }

    /// <summary>A fresh process can run its one turn (a pooled one waits, spawned, for its prompt); afterwards never again.</summary>
    public override bool CanServeAnotherTurn => TurnsServed == 0 && !OutputEnded && !Process.HasExited;

    public override Task WaitReadyAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>A new thread's id shows only once the turn runs (<c>thread.started</c>); a resumed one is the launch's.</summary>
    protected override HeldSession LaunchSession =>
        new(_launch.ResumeSessionId, _launch.WorkingDirectory, _launch.ResumeSessionId is null ? StartKinds.New : StartKinds.Resumed);

    protected override async Task SendPromptAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        turn.Clock.MarkPromptSent();
        await Process.WriteLineAsync(turn.Prompt, cancellationToken);
        Process.CloseInput();
    }

    public override async Task CancelTurnAsync(CancellationToken cancellationToken)
    {
        // exec has no in-band cancel: the process is the turn, so stopping it is the cancel.
        var turn = ActiveTurn;
        CompleteTurn(TurnOutcome.Cancelled("Stopped at the producer's request."));
        if (turn is not null)
        {
            await Process.StopAsync(Profile.Options.Timeouts.GracefulStop);
        }
    }

    protected override void OnMessage(JsonElement message)
    {
        var turn = ActiveTurn;
        if (turn is null)
        {
            return;
        }

        var type = message.OneOf("type", EventTypes);
        switch (type)
        {
            case "thread.started":
                SessionId = message.Str("thread_id") ?? SessionId;
                ReadyTimestamp ??= TimeProvider.GetTimestamp();
                turn.Clock.MarkCliReady(ReadyTimestamp);
                break;
            case "turn.started":
                turn.Clock.MarkSessionReady();
                break;
            case "item.started" or "item.updated" or "item.completed" when message.Obj("item") is { } item:
                OnItem(turn, type, item);
                break;
            case "error":
                _lastError = message.Str("message");
                turn.Emit(new AgentNotice("agent_error", _lastError ?? "error"));
                break;
            case "turn.completed":
                UsageReported? usage = null;
                if (message.Obj("usage") is { } u)
                {
                    // OpenAI counts cached tokens inside input_tokens; the common model's input is the uncached part.
                    var cached = u.Long("cached_input_tokens");
                    usage = new UsageReported(u.Long("input_tokens") - (cached ?? 0), u.Long("output_tokens"), cached, null);
                    turn.Emit(usage);
                }

                CompleteTurn(TurnOutcome.Succeeded("end_turn", usage));
                break;
            case "turn.failed":
                var error = message.Obj("error")?.Str("message") ?? _lastError ?? "turn failed";
                CompleteTurn(TurnOutcome.Failed(Classify(error), $"The agent reported: {error}", beforeOutput: !turn.HasOutput));
                break;
        }
    }

    /// <summary>codex reports a provider error in text ("unexpected status 401 Unauthorized: …", or for a 5xx "We're currently
    /// experiencing high demand…"); text that names no provider failure is the agent's own.</summary>
    private static string Classify(string error) => ProviderErrorClassifier.FromText(error) switch
    {
        FailureReasons.Unclassified => FailureReasons.AgentError,
        var reason => reason,
    };

    private static void OnItem(TurnContext turn, string eventType, JsonElement item)
    {
        var itemType = item.OneOf("type", ItemTypes);
        switch (itemType)
        {
            case "agent_message" when eventType == "item.completed":
                turn.EmitText(item.Str("text") ?? "");
                break;
            case "reasoning" when eventType == "item.completed" && item.Str("text") is { Length: > 0 } text:
                turn.Emit(new ThoughtDelta(text));
                break;
            case "command_execution" or "file_change" or "mcp_tool_call" or "web_search":
                turn.Emit(new ToolCallEvent(item.Str("id") ?? "", item.Str("command") ?? item.Str("tool") ?? itemType, itemType,
                    item.Str("status") ?? (eventType == "item.completed" ? "completed" : "in_progress"), null));
                break;
        }
    }
}

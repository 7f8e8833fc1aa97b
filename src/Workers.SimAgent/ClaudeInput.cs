using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Workers.SimAgent;

/// <summary>
/// Handles Claude's stdin lines on the stdin thread as they arrive: user messages are queued for the turn loop, control
/// requests are answered at once (even mid-turn), and control responses wake the turn waiting for them.
/// </summary>
internal sealed class ClaudeInput(ClaudeContext context, ChannelWriter<string> prompts, CancellationSet turns)
{
    public void OnLine(string line)
    {
        // Claude Code tolerates blank lines in stream-json input.
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        if (JsonRead.ParseObject(line) is not { } message)
        {
            Fatal($"Error parsing streaming input line: {line}");
            return;
        }

        switch (JsonRead.String(message["type"]))
        {
            case "user":
                OnUser(message);
                break;
            case "control_request":
                OnControlRequest(message);
                break;
            case "control_response":
                if (JsonRead.Object(message["response"]) is { } response && JsonRead.String(response["request_id"]) is { } id)
                {
                    context.Replies.Complete(id, response);
                }

                break;
            default:
                // keep_alive, update_environment_variables and other types have nothing to simulate.
                break;
        }
    }

    public void OnEnd() => prompts.TryComplete();

    private void OnUser(JsonObject message)
    {
        // Real Claude Code dies on a malformed user message; hosts must validate before writing, so the simulator dies too.
        var body = JsonRead.Object(message["message"]);
        var role = JsonRead.String(body?["role"]);
        if (role != "user")
        {
            Fatal($"Expected message role 'user', got '{role ?? "undefined"}'");
        }

        prompts.TryWrite(JsonRead.PromptText(body?["content"]));
    }

    private void OnControlRequest(JsonObject message)
    {
        if (JsonRead.String(message["request_id"]) is not { } id)
        {
            return;
        }

        var writer = context.Writer;
        switch (JsonRead.String(message["request"]?["subtype"]))
        {
            case "initialize":
                // Stdin is read only after start-up, so this answer doubles as the readiness probe.
                writer.WriteLine(ClaudeMessages.ControlSuccess(id, ClaudeMessages.InitializeResponse(context.Args.Model)));
                break;
            case "interrupt":
                writer.WriteLine(ClaudeMessages.ControlSuccess(id, new JsonObject()));
                turns.CancelAll();
                break;
            case var subtype:
                writer.WriteLine(ClaudeMessages.ControlError(id, $"Unsupported control request subtype: {subtype}"));
                break;
        }
    }

    [DoesNotReturn]
    private static void Fatal(string message)
    {
        Diagnostics.Raw(message);
        Environment.Exit(1);
    }
}

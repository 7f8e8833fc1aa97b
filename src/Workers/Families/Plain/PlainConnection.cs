using System.Text.Json;
using Microsoft.Extensions.Logging;
using Workers.Processes;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Families.Plain;

/// <summary>A plain text CLI: the prompt and EOF on stdin, every stdout chunk is model text, exit 0 is success.</summary>
internal sealed class PlainConnection : StdioConnection
{
    internal PlainConnection(AgentProcess process, ResolvedProfile profile, LaunchRequest launch, TimeProvider timeProvider, ILogger logger)
        : base(process, profile, timeProvider, logger)
    {
        SessionWorkingDirectory = launch.WorkingDirectory;
        LaunchSession = new HeldSession(null, launch.WorkingDirectory, StartKinds.New);
        StartReadingOutput();
    }

    /// <summary>A fresh process can run its one turn (a pooled one waits, spawned, for its prompt); afterwards never again.</summary>
    public override bool CanServeAnotherTurn => TurnsServed == 0 && !OutputEnded && !Process.HasExited;

    public override Task WaitReadyAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected override HeldSession LaunchSession { get; }

    protected override bool HasSessions => false;

    protected override async Task SendPromptAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        turn.Clock.MarkPromptSent();
        await Process.WriteLineAsync(turn.Prompt, cancellationToken);
        Process.CloseInput();
    }

    public override async Task CancelTurnAsync(CancellationToken cancellationToken)
    {
        CompleteTurn(TurnOutcome.Cancelled("Stopped at the producer's request."));
        await Process.StopAsync(Profile.Options.Timeouts.GracefulStop);
    }

    protected override void OnMessage(JsonElement message)
    {
        // Chunk framing: never called.
    }

    protected override void OnChunk(string text) => ActiveTurn?.EmitText(text);

    /// <summary>Exit 0 is the end of a plain turn; any other exit is a failure before or after output.</summary>
    protected override TurnOutcome OutcomeOnExit(TurnContext turn, AgentExit? exit) =>
        exit is { ExitCode: 0 } ? TurnOutcome.Succeeded("end_turn", null) : base.OutcomeOnExit(turn, exit);
}

using Workers.Tests.Pooling.Scripted;
using Workers.Turns;

namespace Workers.Tests.Running;

/// <summary>What a scripted agent does with one turn: answer, or die in one of the ways a real one does, returning the outcome
/// a real connection makes of it.</summary>
internal static class ScriptedPlays
{
    public static Func<TurnContext, ScriptedConnection, TurnOutcome> Answers(string text) => (turn, _) =>
    {
        turn.EmitText(text);
        return TurnOutcome.Succeeded("end_turn", null);
    };

    /// <summary>The agent emits <paramref name="output"/>, then its process exits on its own (a CLI that fails exits 1).</summary>
    public static Func<TurnContext, ScriptedConnection, TurnOutcome> DiesAfter(params TurnEvent[] output) =>
        Ends(process => process.Crash(), output);

    /// <summary>The agent emits <paramref name="output"/> (none: it dies before output), then someone outside the service
    /// kills its process with <paramref name="signal"/>.</summary>
    public static Func<TurnContext, ScriptedConnection, TurnOutcome> KilledFromOutsideAfter(int signal, params TurnEvent[] output) =>
        Ends(process => process.KillFromOutside(signal), output);

    /// <summary>The agent emits <paramref name="output"/>, then the service itself SIGKILLs its group (as a timeout or a
    /// drain does): not an outside kill.</summary>
    public static Func<TurnContext, ScriptedConnection, TurnOutcome> KilledByWorkersAfter(params TurnEvent[] output) =>
        Ends(process => _ = process.KillAsync(), output);

    private static Func<TurnContext, ScriptedConnection, TurnOutcome> Ends(Action<ScriptedProcess> death, TurnEvent[] output) =>
        (turn, connection) =>
        {
            foreach (var item in output)
            {
                if (item is TextDelta text)
                {
                    turn.EmitText(text.Text);
                }
                else
                {
                    turn.Emit(item);
                }
            }

            death(connection.ScriptedProcess);
            return turn.HasOutput
                ? TurnOutcome.Failed(FailureReasons.ProcessExitMidStream, "The scripted process exited during the turn.", beforeOutput: false)
                : TurnOutcome.Failed(FailureReasons.ProcessExitBeforeOutput, "The scripted process exited before any output.", beforeOutput: true);
        };
}

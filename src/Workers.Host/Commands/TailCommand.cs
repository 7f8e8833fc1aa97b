using System.CommandLine;

namespace Workers.Host.Commands;

/// <summary><c>workers tail &lt;turn-id&gt; [--from N]</c>: an existing turn's events as JSON lines, the stored ones first,
/// then live ones as they come, to the end.</summary>
internal static class TailCommand
{
    public static Command Create()
    {
        var turnId = new Argument<string>("turn-id") { Description = "The turn to follow." };
        var from = new Option<long>("--from")
        {
            Description = "Start at the event with this sequence; earlier ones are skipped (default 1: every event).",
            DefaultValueFactory = _ => 1,
        };
        from.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long>() < 1)
            {
                result.AddError("--from must be 1 or more (event sequences start at 1).");
            }
        });
        var connection = new ServiceConnection();
        var command = new Command("tail", "Stream an existing turn's events as JSON lines (replayed, then live) until it ends. " +
            "Exit code 0 succeeded, 1 failed, 130 cancelled, 2 when the service refused or could not be reached.")
        {
            turnId, from,
        };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = connection.CreateClient(parse);
            return await ServiceCall.RunAsync(client,
                () => TurnEventPrinter.PrintAsync(client, parse.GetValue(turnId)!, parse.GetValue(from) - 1, cancellationToken), cancellationToken);
        });
        return command;
    }
}

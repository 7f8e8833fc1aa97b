using System.CommandLine;
using Workers.Service;

namespace Workers.Host.Commands;

/// <summary><c>workers enqueue --profile P --conversation C [--id ID] [--cwd DIR] "prompt"</c>: submits a turn to a
/// running service, prints its id, then its events as JSON lines to the end.</summary>
internal static class EnqueueCommand
{
    public static Command Create()
    {
        var profile = new Option<string>("--profile", "-p") { Description = "The profile to run the turn with.", Required = true };
        var conversation = new Option<string>("--conversation", "-c") { Description = "The conversation the turn belongs to.", Required = true };
        var id = new Option<string?>("--id")
        {
            Description = "The turn's id. Enqueueing the same id and body again is the same turn, never a second one (default: a new id).",
        };
        var cwd = new Option<string?>("--cwd") { Description = "The working directory (absolute; the profile must allow it)." };
        var prompt = new Argument<string>("prompt") { Description = "The user message." };
        var connection = new ServiceConnection();
        var command = new Command("enqueue", "Enqueue a turn on a running service, print its id, then stream its events as JSON lines until it ends. " +
            "Exit code 0 succeeded, 1 failed, 130 cancelled, 2 when the service refused it or could not be reached.")
        {
            profile, conversation, id, cwd, prompt,
        };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = connection.CreateClient(parse);
            var submission = new TurnSubmission
            {
                Id = parse.GetValue(id),
                ConversationId = parse.GetValue(conversation),
                Profile = parse.GetValue(profile),
                Prompt = parse.GetValue(prompt),
                Cwd = parse.GetValue(cwd),
            };
            return await ServiceCall.RunAsync(client, async () =>
            {
                var turnId = await client.EnqueueAsync(submission, cancellationToken);
                await Console.Out.WriteLineAsync(turnId);
                return await TurnEventPrinter.PrintAsync(client, turnId, afterSequence: 0, cancellationToken);
            }, cancellationToken);
        });
        return command;
    }
}

using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Workers.Serialization;
using Workers.Profiles;
using Workers.Running;
using Workers.Turns;

namespace Workers.Host.Commands;

/// <summary><c>workers run --profile P [--session ID] "prompt"</c>: one turn on a cold process (the spawn-per-turn
/// baseline), its events and then its timing record as JSON lines.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var profile = new Option<string>("--profile", "-p") { Description = "The profile to run the turn with.", Required = true };
        var session = new Option<string?>("--session") { Description = "An agent session id to resume." };
        var cwd = new Option<string?>("--cwd") { Description = "The working directory (absolute; the profile must allow it)." };
        var prompt = new Argument<string>("prompt") { Description = "The user message." };
        var command = new Command("run", "Run one turn on a freshly spawned agent process and print its events and timing as JSON lines.")
        {
            profile, session, cwd, prompt,
        };
        command.SetAction((parse, cancellationToken) => ExecuteAsync(
            new TurnRequest
            {
                Profile = parse.GetValue(profile)!,
                Prompt = parse.GetValue(prompt)!,
                ResumeSessionId = parse.GetValue(session),
                WorkingDirectory = parse.GetValue(cwd),
            },
            cancellationToken));
        return command;
    }

    private static async Task<int> ExecuteAsync(TurnRequest request, CancellationToken cancellationToken)
    {
        var builder = WorkersHostBuilder.Create([], LogLevel.Warning);
        using var host = builder.Build();
        try
        {
            _ = host.Services.GetRequiredService<IOptions<WorkersOptions>>().Value;
        }
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync($"Invalid configuration: {string.Join(" ", ex.Failures)}");
            return 2;
        }

        var runner = host.Services.GetRequiredService<SpawnPerTurnRunner>();
        var result = await runner.RunAsync(request, new JsonLinesEventSink(Console.Out), cancellationToken);
        var record = JsonSerializer.SerializeToNode(result, WorkersJson.Options)!.AsObject();
        record.Insert(0, "type", JsonValue.Create("result"));
        await Console.Out.WriteLineAsync(record.ToJsonString());
        return result.Status switch
        {
            TurnStatus.Succeeded => 0,
            TurnStatus.Cancelled => 130,
            _ => 1,
        };
    }
}

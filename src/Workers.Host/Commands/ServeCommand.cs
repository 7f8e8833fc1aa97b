using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Workers.Hosting;

namespace Workers.Host.Commands;

/// <summary><c>workers serve</c> (the default verb): the service — HTTP API, durable queue, dispatcher and warm pools.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command("serve", "Run the service: the HTTP API on Workers:Service:Urls (default http://127.0.0.1:8080), " +
            "the SQLite queue under Workers:DataDirectory (default ./data) and the warm pools.");
        command.SetAction((_, cancellationToken) => RunAsync([], cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        Microsoft.AspNetCore.Builder.WebApplication app;
        try
        {
            app = WorkersWebApplication.Build(args);
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync($"Invalid configuration: {string.Join(" ", ex.Failures)}");
            return 2;
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 2;
        }

        await using (app)
        {
            try
            {
                await app.StartAsync(cancellationToken);
                await app.WaitForShutdownAsync(cancellationToken);
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException ex)
            {
                await Console.Error.WriteLineAsync($"Invalid configuration: {string.Join(" ", ex.Failures)}");
                return 2;
            }
        }

        return 0;
    }
}

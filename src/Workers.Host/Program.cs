using System.CommandLine;
using Workers.Host.Commands;

var root = new RootCommand("Workers: runs coding-agent turns on prewarmed CLI processes. Without a verb it serves.");
var serve = ServeCommand.Create();
root.Subcommands.Add(serve);
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(EnqueueCommand.Create());
root.Subcommands.Add(TailCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(ReportCommand.Create());
root.SetAction((_, cancellationToken) => ServeCommand.RunAsync([], cancellationToken));
var parse = root.Parse(args);
// On SIGTERM/Ctrl-C `serve` lets running turns finish (Workers:Maintenance:DrainDeadline, within the host's 2-minute
// ShutdownTimeout). System.CommandLine's default would end the process 2 s after the signal, in the middle of that.
var exitCode = await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(3) });
// A usage error exits 2, so that 1 keeps meaning "the turn failed".
return parse.Errors.Count > 0 ? ExitCodes.Error : exitCode;

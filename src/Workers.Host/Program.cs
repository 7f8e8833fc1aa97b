using System.CommandLine;
using Workers.Host.Commands;

var root = new RootCommand("Workers: runs coding-agent turns on prewarmed CLI processes. Without a verb it serves.");
var serve = ServeCommand.Create();
root.Subcommands.Add(serve);
root.Subcommands.Add(RunCommand.Create());
root.SetAction((_, cancellationToken) => ServeCommand.RunAsync([], cancellationToken));
return await root.Parse(args).InvokeAsync();

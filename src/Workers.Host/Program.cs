using System.CommandLine;
using Workers.Host.Commands;

var root = new RootCommand("Workers: runs coding-agent turns on prewarmed CLI processes.");
root.Subcommands.Add(RunCommand.Create());
return await root.Parse(args).InvokeAsync();

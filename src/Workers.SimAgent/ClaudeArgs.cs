namespace Workers.SimAgent;

/// <summary>The Claude Code flags the simulator understands; any other token is ignored, as a host may pass many more.</summary>
internal sealed class ClaudeArgs
{
    private ClaudeArgs()
    {
    }

    public bool Print { get; private set; }

    public bool Verbose { get; private set; }

    public bool IncludePartialMessages { get; private set; }

    public string? InputFormat { get; private set; }

    public string? OutputFormat { get; private set; }

    public string? Resume { get; private set; }

    public string? SessionId { get; private set; }

    /// <summary>True with <c>--permission-prompt-tool stdio</c>: permission prompts go to the host as <c>can_use_tool</c>.</summary>
    public bool PermissionPromptStdio { get; private set; }

    public string Model { get; private set; } = "claude-sim-4";

    public static ClaudeArgs Parse(IReadOnlyList<string> args)
    {
        var parsed = new ClaudeArgs();
        for (var i = 0; i < args.Count; i++)
        {
            // The Agent SDK passes "--resume=<id>" so that an id starting with a dash is not read as a flag; accept both forms.
            var equals = args[i].StartsWith("--", StringComparison.Ordinal) ? args[i].IndexOf('=', StringComparison.Ordinal) : -1;
            var flag = equals > 0 ? args[i][..equals] : args[i];
            var inlineValue = equals > 0 ? args[i][(equals + 1)..] : null;
            string? Value() => inlineValue ?? (i + 1 < args.Count ? args[++i] : null);
            switch (flag)
            {
                case "-p" or "--print": parsed.Print = true; break;
                case "--verbose": parsed.Verbose = true; break;
                case "--include-partial-messages": parsed.IncludePartialMessages = true; break;
                case "--input-format": parsed.InputFormat = Value(); break;
                case "--output-format": parsed.OutputFormat = Value(); break;
                case "-r" or "--resume": parsed.Resume = Value(); break;
                case "--session-id": parsed.SessionId = Value(); break;
                case "--permission-prompt-tool": parsed.PermissionPromptStdio = Value() == "stdio"; break;
                case "--model": parsed.Model = Value() ?? parsed.Model; break;
                default: break;
            }
        }

        return parsed;
    }

    /// <summary>The start-up error the invocation earns, worded like the real CLI where it has one; null when it is fine.</summary>
    public (string Message, int ExitCode)? Problem()
    {
        if (!Print)
        {
            return ("sim-agent: claude mode simulates only print mode: pass -p", 2);
        }

        if (OutputFormat == "stream-json" && !Verbose)
        {
            return ("Error: When using --print, --output-format=stream-json requires --verbose", 1);
        }

        if (InputFormat != "stream-json" || OutputFormat != "stream-json")
        {
            return ("sim-agent: claude mode simulates only --input-format stream-json --output-format stream-json", 2);
        }

        return null;
    }
}

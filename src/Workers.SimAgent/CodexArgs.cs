namespace Workers.SimAgent;

/// <summary>
/// The <c>codex exec</c> command line: <c>exec [--json] [options] [resume &lt;thread_id&gt;|resume --last] [PROMPT|-]</c>.
/// </summary>
internal sealed class CodexArgs
{
    // Options that take a value; the value must not be mistaken for the prompt or the thread id.
    private static readonly HashSet<string> ValueOptions = new(StringComparer.Ordinal)
    {
        "-c", "--config", "--disable", "--enable", "-m", "--model", "-s", "--sandbox", "-p", "--profile", "-C", "--cd",
        "-o", "--output-last-message", "--output-schema", "--color", "-i", "--image", "--add-dir", "--local-provider",
    };

    private CodexArgs()
    {
    }

    public bool Json { get; private set; }

    /// <summary>True with <c>--ephemeral</c>: the thread is not persisted, so it cannot be resumed.</summary>
    public bool Ephemeral { get; private set; }

    public bool Resume { get; private set; }

    public bool ResumeLast { get; private set; }

    public string? ResumeId { get; private set; }

    /// <summary>The prompt given on the command line, or null when it comes from stdin (<c>-</c> or no prompt).</summary>
    public string? Prompt { get; private set; }

    public static CodexArgs? Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0] is not ("exec" or "e"))
        {
            return null;
        }

        var parsed = new CodexArgs();
        var positionals = new List<string>();
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--json" or "--experimental-json":
                    parsed.Json = true;
                    break;
                case "--ephemeral":
                    parsed.Ephemeral = true;
                    break;
                case "--last":
                    parsed.ResumeLast = true;
                    break;
                case "-":
                    positionals.Add(arg);
                    break;
                case "--":
                    positionals.AddRange(args.Skip(i + 1));
                    i = args.Count;
                    break;
                case var option when ValueOptions.Contains(option):
                    i++;
                    break;
                case var flag when flag.StartsWith('-'):
                    // --skip-git-repo-check, --full-auto, --option=value and the like change nothing here.
                    break;
                default:
                    positionals.Add(arg);
                    break;
            }
        }

        if (positionals.Count > 0 && positionals[0] == "resume")
        {
            parsed.Resume = true;
            positionals.RemoveAt(0);
            if (!parsed.ResumeLast && positionals.Count > 0)
            {
                parsed.ResumeId = positionals[0];
                positionals.RemoveAt(0);
            }
        }

        parsed.Prompt = positionals.Count > 0 && positionals[^1] != "-" ? string.Join(' ', positionals) : null;
        return parsed;
    }
}

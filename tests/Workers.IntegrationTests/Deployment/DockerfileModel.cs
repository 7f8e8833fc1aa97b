using System.Text;
using System.Text.Json;

namespace Workers.IntegrationTests.Deployment;

/// <summary>One instruction of a Dockerfile, continuation lines joined and comment lines dropped. (This file is over the
/// usual size because it holds the small Dockerfile grammar of the deployment tests whole: its records and its reader.)</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments, int Line);

/// <summary>A build stage: <c>FROM image [AS name]</c> and its instructions.</summary>
internal sealed record DockerStage(string Image, string? Name, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<DockerInstruction> All(string keyword) =>
        Instructions.Where(i => string.Equals(i.Keyword, keyword, StringComparison.OrdinalIgnoreCase));

    public DockerInstruction? Last(string keyword) => All(keyword).LastOrDefault();
}

/// <summary>Just enough of the Dockerfile grammar for the deployment tests to read the image's contract (its ENV,
/// ENTRYPOINT, CMD, the publish command) from the file itself, so the tests cannot drift from it. Not a builder.</summary>
internal sealed class DockerfileModel
{
    private DockerfileModel(IReadOnlyList<DockerInstruction> globalArgs, IReadOnlyList<DockerStage> stages)
    {
        GlobalArgs = globalArgs;
        Stages = stages;
    }

    /// <summary>ARG instructions before the first FROM.</summary>
    public IReadOnlyList<DockerInstruction> GlobalArgs { get; }

    public IReadOnlyList<DockerStage> Stages { get; }

    /// <summary>The stage the image is made of: the last one.</summary>
    public DockerStage Final => Stages[^1];

    public DockerStage Stage(string name) =>
        Stages.SingleOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new InvalidOperationException($"The Dockerfile has no stage named '{name}'.");

    public static DockerfileModel Load(string path) => Parse(File.ReadAllLines(path));

    public static DockerfileModel Parse(IReadOnlyList<string> lines)
    {
        var globalArgs = new List<DockerInstruction>();
        var stages = new List<DockerStage>();
        List<DockerInstruction>? current = null;
        string? image = null;
        string? name = null;
        foreach (var instruction in Instructions(lines))
        {
            if (instruction.Keyword == "FROM")
            {
                if (current is not null)
                {
                    stages.Add(new DockerStage(image!, name, current));
                }

                var words = instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToArray();
                image = words[0];
                name = words.Length >= 3 && string.Equals(words[1], "AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null;
                current = [];
            }
            else if (current is null)
            {
                globalArgs.Add(instruction);
            }
            else
            {
                current.Add(instruction);
            }
        }

        if (current is null)
        {
            throw new InvalidOperationException("The Dockerfile has no FROM.");
        }

        stages.Add(new DockerStage(image!, name, current));
        return new DockerfileModel(globalArgs, stages);
    }

    private static IEnumerable<DockerInstruction> Instructions(IReadOnlyList<string> lines)
    {
        var text = new StringBuilder();
        var start = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            var trimmed = line.TrimStart();
            if (trimmed.StartsWith('#') || (text.Length == 0 && trimmed.Length == 0))
            {
                continue;
            }

            if (text.Length == 0)
            {
                start = i + 1;
            }

            var continues = line.TrimEnd().EndsWith('\\');
            text.Append(continues ? line.TrimEnd()[..^1] : line).Append(' ');
            if (!continues)
            {
                var joined = text.ToString().Trim();
                text.Clear();
                var space = joined.IndexOfAny([' ', '\t']);
                yield return space < 0
                    ? new DockerInstruction(joined.ToUpperInvariant(), "", start)
                    : new DockerInstruction(joined[..space].ToUpperInvariant(), joined[(space + 1)..].Trim(), start);
            }
        }
    }

    /// <summary>The default of an ARG of <paramref name="stage"/> (or a global one), unquoted.</summary>
    public string? ArgDefault(DockerStage? stage, string name)
    {
        foreach (var instruction in (stage?.All("ARG") ?? []).Concat(GlobalArgs.Where(a => a.Keyword == "ARG")))
        {
            var word = ShellWords(instruction.Arguments, _ => null).Single();
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            if ((equals < 0 ? word : word[..equals]) == name)
            {
                return equals < 0 ? null : word[(equals + 1)..];
            }
        }

        return null;
    }

    /// <summary>The environment the ENV instructions of <paramref name="stage"/> set, in order, with <c>$X</c> and
    /// <c>${X}</c> expanded from earlier ENV values, else from <paramref name="outer"/> (the base image's environment).</summary>
    public static IReadOnlyDictionary<string, string> Environment(DockerStage stage, Func<string, string?> outer)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var instruction in stage.All("ENV"))
        {
            var words = ShellWords(instruction.Arguments, n => environment.TryGetValue(n, out var v) ? v : outer(n));
            if (words.Count > 0 && !words[0].Contains('=', StringComparison.Ordinal))
            {
                // Legacy form: ENV NAME value with spaces
                environment[words[0]] = string.Join(' ', words.Skip(1));
                continue;
            }

            foreach (var word in words)
            {
                var equals = word.IndexOf('=', StringComparison.Ordinal);
                environment[word[..equals]] = word[(equals + 1)..];
            }
        }

        return environment;
    }

    /// <summary>An exec-form argument (a JSON array of strings), or null for the shell form.</summary>
    public static IReadOnlyList<string>? ExecForm(DockerInstruction? instruction)
    {
        if (instruction is null || !instruction.Arguments.StartsWith('['))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<string[]>(instruction.Arguments);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Splits like a shell: whitespace separates words, quotes group, backslash escapes; $NAME and ${NAME} are
    /// expanded outside single quotes (unknown names expand to nothing).</summary>
    public static IReadOnlyList<string> ShellWords(string text, Func<string, string?> variable)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case ' ' or '\t':
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }

                    break;
                case '\'':
                    inWord = true;
                    var close = text.IndexOf('\'', i + 1);
                    word.Append(text, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    inWord = true;
                    for (i++; i < text.Length && text[i] != '"'; i++)
                    {
                        if (text[i] == '\\' && i + 1 < text.Length)
                        {
                            word.Append(text[++i]);
                        }
                        else if (text[i] == '$')
                        {
                            i = Expand(text, i, word, variable);
                        }
                        else
                        {
                            word.Append(text[i]);
                        }
                    }

                    break;
                case '\\' when i + 1 < text.Length:
                    inWord = true;
                    word.Append(text[++i]);
                    break;
                case '$':
                    inWord = true;
                    i = Expand(text, i, word, variable);
                    break;
                default:
                    inWord = true;
                    word.Append(c);
                    break;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    private static int Expand(string text, int dollar, StringBuilder word, Func<string, string?> variable)
    {
        string name;
        int end;
        if (dollar + 1 < text.Length && text[dollar + 1] == '{')
        {
            var close = text.IndexOf('}', dollar + 2);
            name = text[(dollar + 2)..close];
            end = close;
        }
        else
        {
            end = dollar;
            while (end + 1 < text.Length && (char.IsAsciiLetterOrDigit(text[end + 1]) || text[end + 1] == '_'))
            {
                end++;
            }

            name = text[(dollar + 1)..(end + 1)];
            if (name.Length == 0)
            {
                word.Append('$');
                return dollar;
            }
        }

        word.Append(variable(name) ?? "");
        return end;
    }
}

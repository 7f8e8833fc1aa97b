using System.Text.RegularExpressions;

namespace Workers.SimAgent;

/// <summary>
/// The <c>[[sim:&lt;item&gt;]]</c> tokens a test can put in a prompt to steer one turn: a fault (<c>[[sim:crash:mid-stream]]</c>) or
/// a knob override (<c>[[sim:tokens=3]]</c>), a file request (<c>[[sim-fs:read:/etc/passwd]]</c>, see <see cref="FileRequest"/>), or a
/// file operation the agent does itself (<c>[[sim-io:read:/etc/passwd]]</c>, see <see cref="OwnFileOperation"/>).
/// They are removed before the prompt is echoed, so the reply stays predictable.
/// </summary>
internal sealed partial class PromptDirectives
{
    private PromptDirectives(string cleanText, List<Fault> faults, List<KeyValuePair<string, string>> overrides,
        List<FileRequest> fileRequests, List<OwnFileOperation> ownFileOperations, List<string> problems)
    {
        CleanText = cleanText;
        Faults = faults;
        Overrides = overrides;
        FileRequests = fileRequests;
        OwnFileOperations = ownFileOperations;
        Problems = problems;
    }

    /// <summary>The prompt with every directive removed.</summary>
    public string CleanText { get; }

    public IReadOnlyList<Fault> Faults { get; }

    /// <summary>Knob overrides in prompt order (<c>name=value</c>); a later one for the same knob wins.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Overrides { get; }

    /// <summary>The <c>fs/*</c> requests to make of the client, in prompt order (ACP mode only).</summary>
    public IReadOnlyList<FileRequest> FileRequests { get; }

    /// <summary>The file operations the agent does itself, in prompt order (every mode).</summary>
    public IReadOnlyList<OwnFileOperation> OwnFileOperations { get; }

    /// <summary>Items that could not be understood; they are reported on stderr and otherwise ignored.</summary>
    public IReadOnlyList<string> Problems { get; }

    public static PromptDirectives Parse(string prompt)
    {
        var faults = new List<Fault>();
        var overrides = new List<KeyValuePair<string, string>>();
        var problems = new List<string>();
        foreach (Match match in Directive().Matches(prompt))
        {
            var items = match.Groups["items"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var item in items)
            {
                var equals = item.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0)
                {
                    overrides.Add(new(item[..equals], item[(equals + 1)..]));
                }
                else if (Fault.TryParse(item, out var fault, out var error))
                {
                    faults.Add(fault);
                }
                else
                {
                    problems.Add(error);
                }
            }
        }

        var fileRequests = FileDirective().Matches(prompt)
            .Select(m => new FileRequest(
                m.Groups["operation"].Value, m.Groups["path"].Value, Number(m.Groups["line"]), Number(m.Groups["limit"])))
            .ToList();
        var ownFileOperations = OwnFileDirective().Matches(prompt)
            .Select(m => new OwnFileOperation(m.Groups["operation"].Value, m.Groups["path"].Value))
            .ToList();
        var clean = OwnFileDirective().Replace(
            FileDirective().Replace(Directive().Replace(prompt, string.Empty), string.Empty), string.Empty);
        return new PromptDirectives(clean, faults, overrides, fileRequests, ownFileOperations, problems);
    }

    [GeneratedRegex(@"\[\[sim:(?<items>.*?)\]\]", RegexOptions.Singleline)]
    private static partial Regex Directive();

    private static long? Number(Group group) =>
        group.Success && group.Value.Length > 0 ? long.Parse(group.Value, System.Globalization.CultureInfo.InvariantCulture) : null;

    // A read may name the part it wants: read@<line>+<limit>, either number left out (read@2:, read@+3:).
    [GeneratedRegex(@"\[\[sim-fs:(?<operation>read|write)(?:@(?<line>\d*)(?:\+(?<limit>\d*))?)?:(?<path>.*?)\]\]",
        RegexOptions.Singleline)]
    private static partial Regex FileDirective();

    [GeneratedRegex(@"\[\[sim-io:(?<operation>read|write|append|list):(?<path>.*?)\]\]", RegexOptions.Singleline)]
    private static partial Regex OwnFileDirective();
}

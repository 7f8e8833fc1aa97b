using System.Text.RegularExpressions;
using Workers.IntegrationTests.Support;
using Workers.Isolation;
using Workers.Profiles;

namespace Workers.IntegrationTests.Isolation;

/// <summary>What the isolation tests share: a simulated profile in conversation isolation, where a conversation's files are,
/// and the outcome lines of the simulated agent's own file operations (<c>[[sim-io:…]]</c>, <c>specs/simagent.md</c>).</summary>
internal static partial class IsolatedProfile
{
    public static readonly Dictionary<string, string> Latency = new()
    {
        ["SIM_STARTUP_MS"] = "100",
        ["SIM_SESSION_NEW_MS"] = "50",
        ["SIM_SESSION_LOAD_MS"] = "50",
        ["SIM_FIRST_TOKEN_MS"] = "20",
        ["SIM_TOKENS"] = "2",
    };

    public static void Add(SimHarness sim, string family, int minReady, Action<AgentProfile>? configure = null) =>
        sim.AddProfile(family, Latency, configure: p =>
        {
            p.Isolation = IsolationMode.Conversation;
            p.Pool.MinReady = minReady;
            p.Pool.MaxProcesses = 6;
            configure?.Invoke(p);
        });

    public static ConversationFiles Files(SimHarness sim, string profile) => new(sim.DataDirectory, sim.Catalog.Get(profile));

    /// <summary>The slot that holds the conversation's files now, found by its owner file; null when none does.</summary>
    public static ProcessSlotPaths? SlotHolding(SimHarness sim, string profile, string conversation) =>
        SlotHolding(Files(sim, profile), conversation);

    /// <summary>The slot that holds the conversation's files now, found by its owner file; null when none does.</summary>
    public static ProcessSlotPaths? SlotHolding(ConversationFiles files, string conversation)
    {
        var key = ConversationFiles.KeyOf(conversation);
        return Directory.Exists(files.SlotsRoot)
            ? Directory.EnumerateDirectories(files.SlotsRoot)
                .Where(root => File.Exists(Path.Combine(root, "owner")) && File.ReadAllText(Path.Combine(root, "owner")) == key)
                .Select(root => new ProcessSlotPaths(Path.Combine(root, "conversation", "home"), Path.Combine(root, "conversation", "workspace")))
                .SingleOrDefault()
            : null;
    }

    /// <summary>Every file and directory of the data directory whose path names the conversation's key.</summary>
    public static IReadOnlyList<string> EverythingOf(string dataDirectory, string conversation)
    {
        var key = ConversationFiles.KeyOf(conversation);
        return [.. Directory.EnumerateFileSystemEntries(dataDirectory, "*", SearchOption.AllDirectories).Where(p => p.Contains(key, StringComparison.Ordinal))];
    }

    /// <summary>The outcome the agent reported for each of its own file operations, by "operation path".</summary>
    public static Dictionary<string, string> Outcomes(string replyText) =>
        OutcomeLine().Matches(replyText).ToDictionary(m => $"{m.Groups["operation"].Value} {m.Groups["path"].Value}", m => m.Groups["outcome"].Value);

    [GeneratedRegex(@"^sim-io (?<operation>\w+) (?<path>.+?): (?<outcome>ok|failed)\b.*$", RegexOptions.Multiline)]
    private static partial Regex OutcomeLine();
}

/// <summary>A slot's HOME and workspace on the host.</summary>
internal sealed record ProcessSlotPaths(string Home, string Workspace);

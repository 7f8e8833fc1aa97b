using Workers.IntegrationTests.Support;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Families;

/// <summary>A hostile ACP agent (the simulated agent's <c>[[sim-fs:…]]</c> requests, over the real ACP connection) asks for
/// files outside its session's cwd in every form we know: absolute, <c>..</c>, <c>//</c> and <c>/.</c>, symlinked files and
/// directories, dangling links, a path under a symlinked directory that does not exist yet, <c>/proc/self/…</c>. Each is
/// refused with a JSON-RPC error that names no symlink target, nothing outside changes, the turn still succeeds, and the
/// same agent reads and writes inside its cwd (issue 12, <c>specs/security.md</c>).</summary>
public sealed class AcpFileConfinementTests
{
    private const string Secret = "outside secret";
    private const string Inside = "inside content";

    [Fact(Timeout = 60_000)]
    public async Task Reads_OutsideTheCwd_AreRefusedInEveryForm_AndReadsInsideSucceed()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp);
        using var place = new HostilePlace(sim);
        var refused = new[]
        {
            place.OutsideFile,
            place.Under(Path.GetRelativePath(place.Workspace, place.OutsideFile)),
            place.Workspace + "/../" + Path.GetFileName(place.Workspace) + "/esc/secret.txt",
            place.Under("esc/secret.txt"),
            place.Workspace + "//esc//secret.txt",
            place.Under("./esc/./secret.txt/."),
            place.Under("secret-link"),
            place.Under("dangling"),
            place.Under("esc-nested/secret.txt"),
            "/proc/self/root" + place.OutsideFile,
            "/proc/self/environ",
            "/etc/passwd",
            "esc/secret.txt",
        };
        var allowed = new[] { place.Under("inside.txt"), place.Workspace + "//sub/../inside.txt/.", place.Under("inside-link") };

        await place.TryAsync("read", refused, allowed, $"ok \"{Inside}\"", TestContext.Current.CancellationToken);
    }

    [Fact(Timeout = 60_000)]
    public async Task Writes_OutsideTheCwd_AreRefusedInEveryForm_AndWritesInsideSucceed()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp);
        using var place = new HostilePlace(sim);
        var refused = new[]
        {
            place.OutsideFile,
            Path.Combine(place.Outside, "new.txt"),
            place.Under(Path.GetRelativePath(place.Workspace, Path.Combine(place.Outside, "new.txt"))),
            place.Under("esc/new.txt"),
            place.Under("esc/newdir/x"),
            place.Under("esc/newdir/deeper/x"),
            place.Workspace + "//esc//newdir2//x",
            place.Under("./esc/./new2.txt/."),
            place.Under("esc-nested/newdir/x"),
            place.Under("secret-link"),
            place.Under("dangling"),
            place.Under("dangling-dir/x"),
            "/proc/self/root" + Path.Combine(place.Outside, "new.txt"),
            "new.txt",
        };
        var allowed = new[] { place.Under("made/deep/new.txt"), place.Workspace + "//fresh.txt/.", place.Under("inside-link") };

        await place.TryAsync("write", refused, allowed, "ok", TestContext.Current.CancellationToken);

        Assert.Equal("written by sim-agent", File.ReadAllText(place.Under("made/deep/new.txt")));
        Assert.Equal("written by sim-agent", File.ReadAllText(place.Under("fresh.txt")));
        Assert.Equal("written by sim-agent", File.ReadAllText(place.Under("inside.txt")));
    }

    /// <summary>A workspace (the profile's cwd) full of ways out, and an outside directory with a secret in it.</summary>
    private sealed class HostilePlace : IDisposable
    {
        private readonly SimHarness _sim;

        public HostilePlace(SimHarness sim)
        {
            _sim = sim;
            Workspace = sim.Catalog.Get(Acp).DefaultWorkingDirectory;
            Outside = Directory.CreateTempSubdirectory("workers-outside-").FullName;
            OutsideFile = Path.Combine(Outside, "secret.txt");
            File.WriteAllText(OutsideFile, Secret);
            Directory.CreateDirectory(Path.Combine(Outside, "nested"));
            File.WriteAllText(Under("inside.txt"), Inside);
            Directory.CreateDirectory(Under("sub"));
            Directory.CreateSymbolicLink(Under("esc"), Outside);
            Directory.CreateSymbolicLink(Under("esc-nested"), Path.Combine(Outside, "nested"));
            File.CreateSymbolicLink(Under("secret-link"), OutsideFile);
            File.CreateSymbolicLink(Under("dangling"), Path.Combine(Outside, "not-yet.txt"));
            Directory.CreateSymbolicLink(Under("dangling-dir"), Path.Combine(Outside, "not-yet-dir"));
            File.CreateSymbolicLink(Under("inside-link"), Under("inside.txt"));
            OutsideBefore = Listing();
        }

        public string Workspace { get; }

        public string Outside { get; }

        public string OutsideFile { get; }

        private string[] OutsideBefore { get; }

        public string Under(string relative) => Workspace + "/" + relative;

        /// <summary>One turn of the hostile agent asking to <paramref name="operation"/> every path: the turn succeeds, each
        /// refused path is answered -32602, each allowed one <paramref name="allowedAnswer"/>, and nothing leaks.</summary>
        public async Task TryAsync(string operation, string[] refused, string[] allowed, string allowedAnswer,
            CancellationToken cancellationToken)
        {
            var (result, answers) = await RunAsync(refused.Concat(allowed).Select(p => (operation, p)), cancellationToken);

            Assert.Equal(TurnStatus.Succeeded, result.Status);
            foreach (var path in refused)
            {
                var answer = answers[(operation, path)];
                Assert.True(answer.StartsWith("error -32602 ", StringComparison.Ordinal), $"{operation} {path}: {answer}");
            }

            foreach (var path in allowed)
            {
                Assert.True(answers[(operation, path)] == allowedAnswer, $"{operation} {path}: {answers[(operation, path)]}");
            }

            AssertNothingLeaked(result.Text, answers);
        }

        /// <summary>One turn of the hostile agent making <paramref name="requests"/>; its answers by (operation, path).</summary>
        private async Task<(TurnResult Result, Dictionary<(string, string), string> Answers)> RunAsync(
            IEnumerable<(string Op, string Path)> requests, CancellationToken cancellationToken)
        {
            var list = requests.ToList();
            var prompt = "probe " + string.Concat(list.Select(r => $"[[sim-fs:{r.Op}:{r.Path}]]"));
            var result = await _sim.Runner().RunAsync(new TurnRequest { Profile = Acp, Prompt = prompt, WorkingDirectory = Workspace },
                new EventCollector(), cancellationToken);
            var answers = new Dictionary<(string, string), string>();
            foreach (var line in result.Text.Split('\n').Where(l => l.StartsWith("fs:", StringComparison.Ordinal)))
            {
                var op = line[3..line.IndexOf(' ', StringComparison.Ordinal)];
                var arrow = line.LastIndexOf(" => ", StringComparison.Ordinal);
                answers[(op, line[(op.Length + 4)..arrow])] = line[(arrow + 4)..];
            }

            Assert.True(answers.Count == list.Distinct().Count(),
                $"{list.Count} requests, {answers.Count} answers: {result.Text} {result.Message}");
            return (result, answers);
        }

        /// <summary>Nothing outside was created or changed, the secret was never read, and no answer named the outside
        /// directory unless the agent's own path did (an answer may repeat the path it was asked for, never where a link points).</summary>
        private void AssertNothingLeaked(string text, Dictionary<(string, string), string> answers)
        {
            Assert.Equal(OutsideBefore, Listing());
            Assert.Equal(Secret, File.ReadAllText(OutsideFile));
            Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
            var outsideName = Path.GetFileName(Outside);
            foreach (var ((_, path), answer) in answers.Where(a => !a.Key.Item2.Contains(outsideName, StringComparison.Ordinal)))
            {
                Assert.False(answer.Contains(outsideName, StringComparison.Ordinal), $"the answer to {path} names the outside: {answer}");
            }
        }

        private string[] Listing() =>
            [.. Directory.EnumerateFileSystemEntries(Outside, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

        public void Dispose() => Directory.Delete(Outside, recursive: true);
    }
}

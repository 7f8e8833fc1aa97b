using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Workers.IntegrationTests.RealClis;

/// <summary>The end-to-end scenarios every real CLI goes through, through the service and its pool, against the model
/// stub: a first turn cold and warm, a continued turn in the live session (the stub's log proves the prior messages were
/// sent), a continued turn after the process was killed (resumed, or a new session with the transcript), a cancel in
/// the middle of a stream, a permission request answered by policy, and a model error ending the turn quickly with a
/// named reason. A CLI that is not installed is skipped with the reason.</summary>
[Collection(RealClisCollection.Name)]
public abstract partial class RealCliTests
{
    private static readonly string[] Segments = ["cli_ready", "session_init", "model_first_token", "remainder"];

    protected abstract RealCli Cli { get; }

    protected static string Word() => $"zebra{Guid.NewGuid():N}"[..16];

    [Fact(Timeout = 150_000)]
    public async Task FirstTurn_OnAColdProcess_Succeeds()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cli = await RealCliHarness.StartAsync(Cli, minReady: 0);
        var word = Word();

        var turn = await cli.RunTurnAsync("c1", $"Say hello. {word}", ct);

        Assert.True(RealCliHarness.Str(turn, "status") == "succeeded", RealCliHarness.Describe(turn));
        Assert.Equal("Stub answer: w1 w2 w3 w4 w5 w6 w7 w8", RealCliHarness.Str(turn, "text"));
        Assert.Equal(("cold", "new"), (RealCliHarness.Str(turn, "process"), RealCliHarness.Str(turn, "session")));
        AssertTimingSums(turn);
        var requests = cli.Stub.ModelRequests.Where(r => r.LastUserText.Contains(word, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(requests);
        if (Cli.RunsClaudeCode is { } version)
        {
            // The pinned Claude Code made the model call, not one an adapter bundles (claude-agent-acp's SDK carries 2.1.83).
            Assert.All(requests, r => Assert.Contains($"cc_version={version}.", r.Body, StringComparison.Ordinal));
        }
    }

    [Fact(Timeout = 150_000)]
    public async Task FirstTurnWarm_ThenContinuedTurn_SendsThePriorMessages()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cli = await RealCliHarness.StartAsync(Cli, minReady: 1);
        await cli.Service.WaitForReadyProcessesAsync(cli.Profile, 1, ct);
        var (first, second) = (Word(), Word());

        var turn1 = await cli.RunTurnAsync("c1", $"Remember this word: {first}", ct);
        var turn2 = await cli.RunTurnAsync("c1", $"Which word did I ask you to remember? {second}", ct);

        Assert.True(RealCliHarness.Str(turn1, "status") == "succeeded", RealCliHarness.Describe(turn1));
        Assert.Equal(("warm", Cli.WarmFirstSession), (RealCliHarness.Str(turn1, "process"), RealCliHarness.Str(turn1, "session")));
        Assert.True(RealCliHarness.Str(turn2, "status") == "succeeded", RealCliHarness.Describe(turn2));
        Assert.Equal(Cli.Continued, (RealCliHarness.Str(turn2, "process")!, RealCliHarness.Str(turn2, "session")!));
        Assert.Equal(RealCliHarness.Str(turn1, "sessionId"), RealCliHarness.Str(turn2, "sessionId"));
        Assert.Equal("continued", RealCliHarness.Str(turn2, "turn"));
        Assert.Equal(("first", Cli.Continued.Session == "live" ? "live" : "resumed"),
            (RealCliHarness.Str(turn1, "fidelity"), RealCliHarness.Str(turn2, "fidelity")));
        AssertTimingSums(turn1);
        AssertTimingSums(turn2);
        // The session really continued: the model call of turn 2 carried turn 1's message and answer.
        var request = Assert.Single(cli.Stub.ModelRequests, r => r.LastUserText.Contains(second, StringComparison.Ordinal));
        Assert.Contains(first, request.Body, StringComparison.Ordinal);
        Assert.Contains("Stub answer: w1", request.Body, StringComparison.Ordinal);
    }

    [Fact(Timeout = 150_000)]
    public async Task ContinuedTurn_AfterItsProcessWasKilled_ResumesOrReplaysTheTranscript()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cli = await RealCliHarness.StartAsync(Cli, minReady: 1);
        await cli.Service.WaitForReadyProcessesAsync(cli.Profile, 1, ct);
        var (first, second) = (Word(), Word());
        var prompt1 = $"Remember this word: {first}";
        var turn1 = await cli.RunTurnAsync("c1", prompt1, ct);
        Assert.True(RealCliHarness.Str(turn1, "status") == "succeeded", RealCliHarness.Describe(turn1));
        // The pool refills behind the bound process: the next turn finds a ready one (or, for one-shot CLIs, spawns).
        await cli.Service.WaitForReadyProcessesAsync(cli.Profile, 1, ct);

        var pid = turn1.GetProperty("processId").GetInt32();
        KillGroup(pid);
        // The continued turn is about a process the pool has seen die, not one it may still take for alive.
        await cli.WaitUntilGoneFromPoolAsync(pid, ct);
        var turn2 = await cli.RunTurnAsync("c1", $"Which word did I ask you to remember? {second}", ct,
            [("user", prompt1), ("assistant", RealCliHarness.Str(turn1, "text")!)]);

        Assert.True(RealCliHarness.Str(turn2, "status") == "succeeded", RealCliHarness.Describe(turn2));
        Assert.Equal(Cli.AfterKill.Process, RealCliHarness.Str(turn2, "process"));
        Assert.True(Cli.AfterKill.Sessions.Contains(RealCliHarness.Str(turn2, "session")), RealCliHarness.Describe(turn2));
        Assert.NotEqual(pid, turn2.GetProperty("processId").GetInt32());
        if (Cli.HoldsHomeOpen)
        {
            Assert.Equal("state_open", RealCliHarness.Str(turn2, "fallbackReason"));
        }

        if (Cli.Resume == Profiles.ResumeMode.None)
        {
            Assert.Equal("resume_disabled", RealCliHarness.Str(turn2, "fallbackReason"));
        }
        else
        {
            Assert.Equal(RealCliHarness.Str(turn1, "sessionId"), RealCliHarness.Str(turn2, "sessionId"));
        }

        // Resumed from the CLI's own transcript, or replayed from the producer's: either way the model saw turn 1.
        var request = cli.Stub.ModelRequests.Last(r => r.LastUserText.Contains(second, StringComparison.Ordinal));
        Assert.Contains(first, request.Body, StringComparison.Ordinal);
        var fidelity = Cli.Resume == Profiles.ResumeMode.None ? "transcript" : "resumed";
        Assert.True(fidelity == RealCliHarness.Str(turn2, "fidelity"), RealCliHarness.Describe(turn2));
        if (fidelity == "resumed")
        {
            // Verified, not inferred: the agent's own session carried turn 1 (its question and the model's answer) into the
            // provider request; the producer's transcript, sent with the turn, was not replayed into it.
            Assert.Contains("Stub answer: w1", request.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("replayed because its earlier session", request.Body, StringComparison.Ordinal);
        }

        AssertTimingSums(turn2);
    }

    [Fact(Timeout = 150_000)]
    public async Task Cancel_InTheMiddleOfAStream_EndsTheTurnCancelled()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cli = await RealCliHarness.StartAsync(Cli, minReady: 1);
        await cli.Service.WaitForReadyProcessesAsync(cli.Profile, 1, ct);
        var word = Word();
        // 600 tokens 50 ms apart: a 30 s answer.
        var id = await cli.EnqueueAsync("c1", $"Tell me a long story. {word} [[stub:tokens=600]] [[stub:token-ms=50]]", ct);
        if (Cli.StreamsText)
        {
            var events = await cli.ReadEventsUntilAsync(id, "text_delta", ct);
            Assert.Equal("text_delta", events[^1].Type);
        }
        else
        {
            // exec JSON gives the message only at its end: cancel once the model call is under way (its answer takes 30 s).
            await cli.WaitForModelRequestAsync(word, ct);
        }

        var cancelAsked = TimeProvider.System.GetTimestamp();
        using var cancel = await cli.Service.Client.PostAsync($"/v1/turns/{id}/cancel", null, ct);
        var turn = await cli.Service.WaitForEndAsync(id, ct, TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.True(RealCliHarness.Str(turn, "status") == "cancelled", RealCliHarness.Describe(turn));
        Assert.True(TimeProvider.System.GetElapsedTime(cancelAsked) < TimeSpan.FromSeconds(15));
        Assert.DoesNotContain("w600", RealCliHarness.Str(turn, "text") ?? "", StringComparison.Ordinal);
    }

    [Fact(Timeout = 150_000)]
    public async Task PermissionRequest_IsAnsweredByThePolicy()
    {
        var ct = TestContext.Current.CancellationToken;
        if (Cli.PermissionTool is not { } permission)
        {
            RealCliHarness.RequireInstalled(Cli);
            Assert.Skip(Cli.NoPermissionReason ?? "This CLI never asks for permissions.");
            return;
        }

        await using var cli = await RealCliHarness.StartAsync(Cli, minReady: 1);
        await cli.Service.WaitForReadyProcessesAsync(cli.Profile, 1, ct);
        var file = Path.Combine(cli.AgentWorkspace, $"perm-{Guid.NewGuid():N}.txt");
        var input = permission.Input(file, "from the stub");

        var id = await cli.EnqueueAsync("c1", $"Create the file. [[stub:tool={permission.Tool} {input}]]", ct);
        var turn = await cli.Service.WaitForEndAsync(id, ct, TimeSpan.FromSeconds(100));
        var events = await Support.SseReader.ReadAsync(cli.Service.Client, id, ct);

        Assert.True(RealCliHarness.Str(turn, "status") == "succeeded", RealCliHarness.Describe(turn));
        var requested = Assert.Single(events, e => e.Type == "permission_requested");
        var answered = Assert.Single(events, e => e.Type == "permission_answered");
        Assert.True(answered.Data.GetProperty("decision").GetString() == "allow", $"{requested.Data} → {answered.Data}");
        Assert.True(requested.Id < answered.Id);
        var written = cli.HostPathOf("c1", file);
        Assert.True(File.Exists(written), $"{written} was not written; events: {string.Join(", ", events.Select(e => e.Type))}");
        Assert.Equal("from the stub", (await File.ReadAllTextAsync(written, ct)).Trim());
    }

    [Fact(Timeout = 150_000)]
    public async Task ModelError_EndsTheTurnQuicklyWithANamedReason()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cli = await RealCliHarness.StartAsync(Cli, minReady: 1);
        await cli.Service.WaitForReadyProcessesAsync(cli.Profile, 1, ct);

        foreach (var (status, reason) in Cli.ModelErrors)
        {
            var started = TimeProvider.System.GetTimestamp();
            var turn = await cli.RunTurnAsync($"c-{status}", $"This call fails. {Word()} [[stub:status={status}]]", ct);
            var elapsed = TimeProvider.System.GetElapsedTime(started);

            Assert.True(RealCliHarness.Str(turn, "status") == "failed", $"{status}: {RealCliHarness.Describe(turn)}");
            Assert.True(reason == RealCliHarness.Str(turn, "reason"), $"{status}: expected {reason}; {RealCliHarness.Describe(turn)}");
            Assert.True(elapsed < TimeSpan.FromSeconds(25), $"{status}: took {elapsed}");
            Assert.Contains(cli.Stub.Requests, r => r.Status == status);
        }
    }

    private static void AssertTimingSums(JsonElement turn)
    {
        var timing = turn.GetProperty("timing");
        var sum = Segments.Sum(s => timing.TryGetProperty(s, out var v) ? v.GetDouble() : 0);
        // Each segment is serialised rounded to the microsecond: the four may differ from the total by a few of those.
        Assert.InRange(sum - timing.GetProperty("spawn_to_first_token").GetDouble(), -5e-6, 5e-6);
    }

    /// <summary>SIGKILL to the agent's whole process group (node and its children), as an OOM kill would.</summary>
    protected static void KillGroup(int pid) => _ = Kill(-pid, 9);

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}

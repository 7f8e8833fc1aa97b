using Workers.Families;
using Workers.Pooling;
using Workers.IntegrationTests.Support;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Families;

/// <summary>Each family driven against the simulated agent as a real child process. Over the usual size: every test is a
/// theory over the four families, so one file holds the whole family matrix.</summary>
public sealed class FamilyTurnTests
{
    private static readonly Dictionary<string, string> MeasurableLatency = new()
    {
        ["SIM_STARTUP_MS"] = "200",
        ["SIM_SESSION_NEW_MS"] = "150",
        ["SIM_SESSION_LOAD_MS"] = "150",
        ["SIM_FIRST_TOKEN_MS"] = "100",
        ["SIM_TOKENS"] = "5",
    };

    private static void AssertSegmentsSum(TurnTiming timing)
    {
        var sum = (timing.CliReady ?? TimeSpan.Zero) + (timing.SessionInit ?? TimeSpan.Zero) + timing.ModelFirstToken!.Value + timing.Remainder!.Value;
        Assert.Equal(timing.SpawnToFirstToken, sum);
    }

    private static void AtLeast(double milliseconds, TimeSpan? segment, string name) =>
        Assert.True(segment?.TotalMilliseconds >= milliseconds, $"{name} = {segment?.TotalMilliseconds} ms, expected at least {milliseconds} ms");

    // The floors below hold on any machine: the simulated agent's sleeps are floors of wall time, and a marker is stamped
    // only once the host has read a line the agent wrote after them, so a marker is at least the agent's work before it
    // away from `leased`. One segment alone has such a floor only for the agent's work after a request the host sends
    // when the segment starts (ACP's session request and prompt; a plain CLI's first token after it reads the prompt).
    // Where the agent writes its next line without waiting for the host (Claude, codex), or works from its spawn (start-up),
    // a host slowed by load starts the segment late and it shrinks by as much though the markers are right: there the
    // floor is on the sum up to the marker.

    [Theory(Timeout = 30_000)]
    [InlineData(Claude)]
    [InlineData(Acp)]
    [InlineData(Codex)]
    [InlineData(Plain)]
    public async Task ColdTurn_StampsTheFamilysMarkersAndTheSegmentsSum(string family)
    {
        await using var sim = new SimHarness();
        sim.AddProfile(family, MeasurableLatency);
        var events = new EventCollector();

        var result = await sim.RunAsync(family, "hello world", events, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(TurnStatus.Succeeded, result.Status);
        // A plain CLI's text is its stdout as written, final newline included.
        Assert.Equal("Echo: hello world lorem ipsum", family == Plain ? result.Text.TrimEnd('\n') : result.Text);
        Assert.Equal(result.Text, string.Concat(events.OfType<TextDelta>().Select(d => d.Text)));
        Assert.Equal(Enumerable.Range(1, events.Events.Count).Select(i => (long)i), events.Events.Select(e => e.Sequence));
        Assert.Equal((StartKinds.Cold, StartKinds.New, "first"), (result.Process, result.Session, result.Turn));
        var timing = result.Timing;
        AssertSegmentsSum(timing);
        if (family == Plain)
        {
            // Neither readiness nor a session is observable: null, never a fake 0. Start-up shows in the wait for the first token.
            Assert.Null(timing.CliReady);
            Assert.Null(timing.SessionInit);
            AtLeast(290, timing.SpawnToFirstToken, "spawn_to_first_token");
            AtLeast(90, timing.ModelFirstToken, "model_first_token");
        }
        else
        {
            AtLeast(190, timing.CliReady, "cli_ready");
            AtLeast(340, timing.CliReady + timing.SessionInit, "cli_ready + session_init");
            AtLeast(440, timing.SpawnToFirstToken, "spawn_to_first_token");
            if (family == Acp)
            {
                AtLeast(100, timing.SessionInit, "session_init");
                AtLeast(90, timing.ModelFirstToken, "model_first_token");
            }

            Assert.NotNull(result.SessionId);
        }
    }

    [Theory(Timeout = 30_000)]
    [InlineData(Claude)]
    [InlineData(Acp)]
    public async Task SecondTurnInTheSameProcess_IsLiveWithoutReadinessOrSessionWait(string family)
    {
        await using var sim = new SimHarness();
        sim.AddProfile(family, MeasurableLatency);
        await using var connection = sim.Launch(family);
        await connection.WaitReadyAsync(TestContext.Current.CancellationToken);
        var first = sim.NewTurn(family, "one", new EventCollector());
        var opened = await SessionRung.OpenAsync(connection, new SessionRequest(null, first.WorkingDirectory), first, TestContext.Current.CancellationToken);
        Assert.Equal(TurnStatus.Succeeded, (await connection.RunTurnAsync(first, TestContext.Current.CancellationToken)).Status);

        var second = sim.NewTurn(family, "two", new EventCollector());
        second.Clock.MarkCliReady(connection.ReadyTimestamp);
        var reopened = await SessionRung.OpenAsync(connection, new SessionRequest(connection.SessionId, second.WorkingDirectory), second,
            TestContext.Current.CancellationToken);
        var outcome = await connection.RunTurnAsync(second, TestContext.Current.CancellationToken);

        Assert.Equal(StartKinds.New, opened.Kind);
        Assert.Equal(StartKinds.Live, reopened.Kind);
        Assert.Equal(opened.SessionId, reopened.SessionId);
        Assert.Equal(TurnStatus.Succeeded, outcome.Status);
        Assert.Equal("Echo: two lorem ipsum dolor", second.Text);
        Assert.True(outcome.Usage?.CacheReadTokens > 0, "the second turn should see the first one's context");
        var timing = second.Clock.Compute();
        Assert.Equal(TimeSpan.Zero, timing.CliReady);
        // What is left of session_init is the agent's own per-turn work: its size is the benchmarks' to measure.
        AssertSegmentsSum(timing);
        Assert.Equal(2, connection.TurnsServed);
    }

    [Theory(Timeout = 30_000)]
    [InlineData(Claude, null)]
    [InlineData(Acp, null)]
    [InlineData(Acp, "false")]
    [InlineData(Codex, null)]
    public async Task ResumeInANewProcess_ContinuesTheSession(string family, string? agentOffersResume)
    {
        await using var sim = new SimHarness();
        var env = new Dictionary<string, string>(MeasurableLatency);
        if (agentOffersResume is not null)
        {
            // Without session/resume the ACP driver falls back to session/load (and ignores its replay).
            env["SIM_RESUME_SESSION"] = agentOffersResume;
        }

        sim.AddProfile(family, env);
        var first = await sim.RunAsync(family, "remember the blue door", cancellationToken: TestContext.Current.CancellationToken);
        var events = new EventCollector();

        var second = await sim.RunAsync(family, "which door", events, resume: first.SessionId, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(TurnStatus.Succeeded, second.Status);
        Assert.Equal((StartKinds.Cold, StartKinds.Resumed, "continued"), (second.Process, second.Session, second.Turn));
        Assert.Equal(first.SessionId, second.SessionId);
        Assert.True(second.Usage?.CacheReadTokens > 0, "the resumed session should carry the first turn's context");
        Assert.Equal("Echo: which door lorem ipsum", second.Text);
        AtLeast(340, second.Timing.CliReady + second.Timing.SessionInit, "cli_ready + session_init of a resume");
        if (family == Acp)
        {
            AtLeast(100, second.Timing.SessionInit, "session_init of a resume");
        }
    }

    [Theory(Timeout = 30_000)]
    [InlineData(Claude, false)]
    [InlineData(Acp, false)]
    [InlineData(Codex, false)]
    [InlineData(Claude, true)]
    [InlineData(Acp, true)]
    [InlineData(Codex, true)]
    public async Task StaleResume_RerunsOnANewSessionWithTheTranscript(string family, bool agentForgets)
    {
        await using var sim = new SimHarness();
        sim.AddProfile(family);
        var sessionId = "0b6f1f2e-6b1c-4f43-9f55-6d1e8c1c2a10";
        if (agentForgets)
        {
            // The session exists, but the agent answers as if it did not (its store was wiped).
            sessionId = (await sim.RunAsync(family, "first", cancellationToken: TestContext.Current.CancellationToken)).SessionId!;
            sim.AddProfile(family, new Dictionary<string, string> { ["SIM_FAULT"] = "unknown-session" });
        }

        var events = new EventCollector();

        var result = await sim.RunAsync(family, "next", events, resume: sessionId, transcript: [new("user", "first"), new("assistant", "ok")],
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(TurnStatus.Succeeded, result.Status);
        Assert.Equal(StartKinds.New, result.Session);
        Assert.NotEqual(sessionId, result.SessionId);
        Assert.Contains("stale", result.FallbackReason, StringComparison.Ordinal);
        Assert.Contains(events.OfType<AgentNotice>(), n => n.Code == "stale_resume");
        Assert.StartsWith("Echo: The conversation so far", result.Text, StringComparison.Ordinal);
        Assert.Equal(ResumeFidelity.Transcript, result.Fidelity);
        Assert.Equal(2, result.Attempts);
        AssertSegmentsSum(result.Timing);
    }

    [Theory(Timeout = 30_000)]
    [InlineData(Claude)]
    [InlineData(Acp)]
    [InlineData(Codex)]
    [InlineData(Plain)]
    public async Task Cancel_WhileStreaming_EndsTheTurnCancelled(string family)
    {
        await using var sim = new SimHarness();
        sim.AddProfile(family, new Dictionary<string, string> { ["SIM_TOKENS"] = "400", ["SIM_TOKEN_INTERVAL_MS"] = "20" });
        var events = new EventCollector();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var running = sim.RunAsync(family, "long answer", events, cancellationToken: cancel.Token);
        if (family == Codex)
        {
            // exec prints its answer whole at the end, so there is no text to wait for: cancel once the turn runs on its
            // process, while the model is still "thinking" (its 400 tokens take 8 s).
            await Poll.UntilAsync(() => events.OfType<SessionStarted>().Any(), "the codex turn to start");
        }
        else
        {
            await events.FirstText.WaitAsync(TestContext.Current.CancellationToken);
        }

        await cancel.CancelAsync();
        var result = await running;

        Assert.Equal(TurnStatus.Cancelled, result.Status);
        Assert.Equal(FailureReasons.Cancelled, result.Reason);
        Assert.IsType<TurnCancelled>(events.Events[^1]);
        Assert.True(result.Text.Split(' ').Length < 400, "the stream should have stopped early");
    }

    [Theory(Timeout = 30_000)]
    [InlineData(Claude, true)]
    [InlineData(Claude, false)]
    [InlineData(Acp, true)]
    [InlineData(Acp, false)]
    public async Task PermissionRequest_IsAnsweredByPolicyAtOnce(string family, bool allow)
    {
        await using var sim = new SimHarness();
        var toolLog = Path.Combine(sim.DataDirectory, "tools.jsonl");
        sim.AddProfile(family, new Dictionary<string, string> { ["SIM_TOOL_LOG"] = toolLog },
            configure: p => p.Permissions = new Workers.Profiles.PermissionPolicy { Allow = allow ? ["edit", "Write"] : [] });
        var events = new EventCollector();

        var result = await sim.RunAsync(family, "write a file [[sim:permission]]", events, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(TurnStatus.Succeeded, result.Status);
        Assert.Single(events.OfType<PermissionRequested>());
        Assert.Equal(allow ? "allow" : "deny", Assert.Single(events.OfType<PermissionAnswered>()).Decision);
        Assert.Contains(events.OfType<ToolCallEvent>(), t => t.Status == (allow ? "completed" : "failed"));
        // The simulator logs a tool it ran (the chaos suite counts repeated tool calls from it), never a denied one.
        var ran = File.Exists(toolLog) ? File.ReadAllLines(toolLog) : [];
        Assert.Equal(allow ? 1 : 0, ran.Length);
        if (allow)
        {
            var line = System.Text.Json.JsonDocument.Parse(ran[0]).RootElement;
            Assert.Equal("write a file [[sim:permission]]", line.GetProperty("prompt").GetString());
            Assert.Equal(Assert.Single(events.OfType<PermissionRequested>()).ToolCallId, line.GetProperty("toolCallId").GetString());
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task AcpProfileThatNeverResumes_OpensANewSessionWithTheTranscript()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, configure: p => p.Resume = Workers.Profiles.ResumeMode.None);
        var first = await sim.RunAsync(Acp, "first", cancellationToken: TestContext.Current.CancellationToken);

        var second = await sim.RunAsync(Acp, "again", resume: first.SessionId, transcript: [new("user", "first"), new("assistant", first.Text)],
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(StartKinds.New, second.Session);
        Assert.NotEqual(first.SessionId, second.SessionId);
        Assert.Equal("resume_disabled", second.FallbackReason);
        Assert.StartsWith("Echo: The conversation so far", second.Text, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task MissingOrNonExecutableCommand_FailsAsSpawnFailedWithItsErrno()
    {
        await using var sim = new SimHarness();
        var notExecutable = Path.Combine(sim.DataDirectory, "agent.sh");
        await File.WriteAllTextAsync(notExecutable, "#!/bin/sh\n", TestContext.Current.CancellationToken);
        sim.AddProfile(Plain, name: "missing", configure: p => p.Command = "/nonexistent/agent");
        sim.AddProfile(Plain, name: "noexec", configure: p => p.Command = notExecutable);

        var missing = await sim.RunAsync("missing", "hi", cancellationToken: TestContext.Current.CancellationToken);
        var noexec = await sim.RunAsync("noexec", "hi", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal((FailureReasons.SpawnFailed, true), (missing.Reason, missing.Message!.StartsWith("ENOENT", StringComparison.Ordinal)));
        Assert.Equal((FailureReasons.SpawnFailed, true), (noexec.Reason, noexec.Message!.StartsWith("EACCES", StringComparison.Ordinal)));
    }

    [Theory(Timeout = 30_000)]
    [InlineData("no-such-profile", "hi", null)]
    [InlineData(Plain, "   ", null)]
    [InlineData(Plain, "hi", "/etc")]
    public async Task BadInput_IsRejectedWithAReasonAndNoProcess(string profile, string prompt, string? cwd)
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Plain);
        var events = new EventCollector();

        var result = await sim.Runner().RunAsync(new TurnRequest { Profile = profile, Prompt = prompt, WorkingDirectory = cwd }, events, TestContext.Current.CancellationToken);

        Assert.Equal((TurnStatus.Failed, FailureReasons.BadInput), (result.Status, result.Reason));
        Assert.IsType<TurnFailed>(Assert.Single(events.Events));
        Assert.Null(result.ProcessId);
    }
}

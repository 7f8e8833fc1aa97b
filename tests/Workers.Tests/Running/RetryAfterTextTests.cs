using Workers.Families;
using Workers.Metrics;
using Workers.Tests.Pooling.Scripted;
using Workers.Turns;

namespace Workers.Tests.Running;

/// <summary>A process that dies after streaming only text does not fail the turn: the turn re-runs on another process in a new
/// session fed the transcript, behind a <c>retry</c> event, within <c>Pool:MaxAttempts</c> (issue 11, item 5). After a tool call
/// or a permission request the turn fails as before.</summary>
public sealed class RetryAfterTextTests : IAsyncDisposable
{
    private const string Conversation = "conv";
    private static readonly TranscriptMessage[] Transcript = [new("user", "hello"), new("assistant", "first answer")];

    private readonly WorkerMetrics _metrics = new(Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()));
    private readonly Queue<Func<TurnContext, ScriptedConnection, TurnOutcome>> _plays = new();
    private readonly ScriptedRunner _scripted;

    public RetryAfterTextTests()
    {
        _scripted = new ScriptedRunner(maxProcesses: 2, _metrics);
        // Each turn run on any process plays the next scripted behaviour, in order.
        _scripted.Launcher.PlayTurn = (turn, connection) => _plays.Dequeue()(turn, connection);
        _scripted.Pool.Start();
    }

    [Fact]
    public async Task ContinuedTurn_DeathAfterTextOnly_RerunsOnANewSessionFedTheTranscript_BehindARetryEvent()
    {
        // Arrange: the conversation's first turn binds its process with a live session; the second dies on it after some text.
        var liveSession = await FirstTurnBindsALiveSessionAsync();
        _plays.Enqueue(ScriptedPlays.DiesAfter(new TextDelta("a partial ")));
        _plays.Enqueue(ScriptedPlays.Answers("the full answer"));
        var events = new EventList();

        // Act
        var result = await RunAsync("t2", events, Transcript);

        // Assert: the answer is the retry's alone, the reader is told where to discard, the numbering has no gap.
        Assert.Equal((TurnStatus.Succeeded, "the full answer", 2), (result.Status, result.Text, result.Attempts));
        Assert.Equal(["session", "text_delta", "retry", "session", "text_delta", "completed"], events.Types);
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), events.All.Select(e => e.Sequence));
        var retry = Assert.IsType<RetryStarted>(events.All[2]);
        Assert.Equal(FailureReasons.ProcessExitMidStream, retry.Reason);
        Assert.Equal("the full answer", Assert.IsType<TurnCompleted>(events.All[^1]).Text);
        var (first, second) = (Assert.IsType<SessionStarted>(events.All[0]), Assert.IsType<SessionStarted>(events.All[3]));
        Assert.Equal((liveSession, StartKinds.Live), (first.SessionId, first.Session));
        Assert.NotEqual(liveSession, second.SessionId);
        // The lost run held the conversation live; the rerun's new session holds it from the transcript, and the record says so.
        Assert.Equal((ResumeFidelity.Live, ResumeFidelity.Transcript, ResumeFidelity.Transcript),
            (first.Fidelity, second.Fidelity, result.Fidelity));

        // The retry ran on another process, asked for no session to resume, and was sent the transcript.
        var retried = _scripted.Launcher.Launched.Single(c => c.Prompts.Count == 1 && c.SessionSteps.Count == 1);
        Assert.Null(retried.SessionSteps[0].Request.ResumeSessionId);
        Assert.Equal(TranscriptPrompt.Render(Transcript, "next"), retried.Prompts[0]);
        Assert.True(_scripted.Launcher.Launched[0].Disposed);
        Assert.Equal(second.SessionId, await SavedSessionAsync());
        Assert.Equal(1, _metrics.Retries.WithLabels("p", FailureReasons.ProcessExitMidStream, "text", "agent").Value);
    }

    [Fact]
    public async Task FirstTurn_DeathAfterTextOnly_RerunsWithThePromptAlone()
    {
        _plays.Enqueue(ScriptedPlays.DiesAfter(new TextDelta("a partial ")));
        _plays.Enqueue(ScriptedPlays.Answers("the full answer"));
        var events = new EventList();

        var result = await RunAsync("t1", events);

        Assert.Equal((TurnStatus.Succeeded, "the full answer", 2), (result.Status, result.Text, result.Attempts));
        Assert.Single(events.All.OfType<RetryStarted>());
        Assert.Equal(["next", "next"], _scripted.Launcher.Launched.SelectMany(c => c.Prompts));
    }

    [Fact]
    public async Task StoppedAfterTextOnly_IsRetriedLikeAnExit()
    {
        // The pool's sweep found the process stopped and killed it: the turn sees the exit, which the stop explains.
        _plays.Enqueue((turn, connection) =>
        {
            turn.EmitText("a partial ");
            connection.ScriptedProcess.Stopped = true;
            connection.ScriptedProcess.KillIfStopped(TimeSpan.Zero);
            return TurnOutcome.Failed(FailureReasons.ProcessExitMidStream, "The scripted process was killed.", beforeOutput: false);
        });
        _plays.Enqueue(ScriptedPlays.Answers("the full answer"));
        var events = new EventList();

        var result = await RunAsync("t1", events);

        Assert.Equal((TurnStatus.Succeeded, "the full answer"), (result.Status, result.Text));
        Assert.Equal(FailureReasons.ProcessStopped, Assert.Single(events.All.OfType<RetryStarted>()).Reason);
        Assert.Equal(1, _metrics.Retries.WithLabels("p", FailureReasons.ProcessStopped, "text", "outside_kill").Value);
    }

    [Fact]
    public async Task DeathAfterAToolCall_FailsTheTurnAsBefore()
    {
        _plays.Enqueue(ScriptedPlays.DiesAfter(new TextDelta("let me look "), new ToolCallEvent("call-1", "Read", "read", "pending", null)));
        var events = new EventList();

        var result = await RunAsync("t1", events);

        AssertNotRetried(result, events);
    }

    [Fact]
    public async Task DeathAfterAPermissionRequest_FailsTheTurnAsBefore()
    {
        _plays.Enqueue(ScriptedPlays.DiesAfter(new PermissionRequested("call-1", "edit", "Write sim.txt"), new TextDelta("writing it ")));
        var events = new EventList();

        var result = await RunAsync("t1", events);

        AssertNotRetried(result, events);
    }

    [Fact]
    public async Task DeathsAfterTextOnly_StopAtMaxAttempts_WithTheOriginalReason()
    {
        for (var i = 0; i < 3; i++)
        {
            _plays.Enqueue(ScriptedPlays.DiesAfter(new TextDelta($"partial {i} ")));
        }

        var events = new EventList();

        var result = await RunAsync("t1", events);

        Assert.Equal((TurnStatus.Failed, FailureReasons.ProcessExitMidStream, 3), (result.Status, result.Reason, result.Attempts));
        Assert.Equal(2, events.All.OfType<RetryStarted>().Count());
        Assert.Contains("MaxAttempts", result.Message, StringComparison.Ordinal);
        Assert.Empty(_plays);
    }

    [Fact]
    public async Task ContinuedTurnWithoutTranscript_DeathAfterText_FailsAndSaysWhyItWasNotRetried()
    {
        var liveSession = await FirstTurnBindsALiveSessionAsync();
        _plays.Enqueue(ScriptedPlays.DiesAfter(new TextDelta("a partial ")));
        var events = new EventList();

        var result = await RunAsync("t2", events);

        AssertNotRetried(result, events);
        Assert.Contains("transcript", result.Message, StringComparison.Ordinal);
        Assert.Equal(liveSession, await SavedSessionAsync());
    }

    private async Task<string> FirstTurnBindsALiveSessionAsync()
    {
        _plays.Enqueue(ScriptedPlays.Answers("first answer"));
        await RunAsync("t1", new EventList());
        return await SavedSessionAsync();
    }

    private async Task<string> SavedSessionAsync() =>
        (await _scripted.Sessions.FindAsync(Conversation, "p", TestContext.Current.CancellationToken))!.AgentSessionId;

    private static void AssertNotRetried(TurnResult result, EventList events)
    {
        Assert.Equal((TurnStatus.Failed, FailureReasons.ProcessExitMidStream, 1), (result.Status, result.Reason, result.Attempts));
        Assert.DoesNotContain(events.All, e => e is RetryStarted);
        Assert.Single(events.All, e => e is SessionStarted);
    }

    private Task<TurnResult> RunAsync(string id, EventList events, IReadOnlyList<TranscriptMessage>? transcript = null) =>
        _scripted.Runner.RunAsync(new TurnRequest { Id = id, ConversationId = Conversation, Profile = "p", Prompt = "next", Transcript = transcript },
            events, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _scripted.DisposeAsync();
}

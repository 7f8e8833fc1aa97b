using Workers.Families;
using Workers.Pooling;
using Workers.Turns;

namespace Workers.Tests.Pooling;

/// <summary>The session rung's order over what each family's processes can offer (<c>specs/pool.md</c>): live, then the
/// session held for the turn, then resume, then new — and a clear error where a process was leased for a turn it cannot serve.</summary>
public sealed class SessionRungTests
{
    private const string Cwd = "/srv/project/default";

    private static SessionOffer AcpProcess(string? live = null, string? preopened = null, bool canResume = true) =>
        new(live, live is null ? null : Cwd, preopened is null ? null : new HeldSession(preopened, Cwd, StartKinds.Prewarmed), canResume, CanOpen: true);

    private static SessionOffer LaunchedProcess(string? sessionId, string kind, string? live = null) =>
        new(live, live is null ? null : Cwd, live is null ? new HeldSession(sessionId, Cwd, kind) : null, CanResume: false, CanOpen: false);

    [Fact]
    public void TheConversationsLiveSession_IsReusedAsItIs()
    {
        var choice = SessionRung.Choose(new SessionRequest("s-1", Cwd), AcpProcess(live: "s-1", preopened: "p-1"));

        Assert.Equal(new SessionRung.Choice(SessionStep.ReuseLive), choice);
    }

    [Fact]
    public void TheLiveSessionInAnotherDirectory_IsResumedThere()
    {
        var choice = SessionRung.Choose(new SessionRequest("s-1", "/srv/project/other"), AcpProcess(live: "s-1"));

        Assert.Equal(new SessionRung.Choice(SessionStep.Resume), choice);
    }

    [Fact]
    public void ANewConversation_TakesThePreopenedSession()
    {
        var choice = SessionRung.Choose(new SessionRequest(null, Cwd), AcpProcess(preopened: "p-1"));

        Assert.Equal(new SessionRung.Choice(SessionStep.TakeWaiting), choice);
    }

    [Fact]
    public void ANewConversationInAnotherDirectory_OpensANewSession()
    {
        var choice = SessionRung.Choose(new SessionRequest(null, "/srv/project/other"), AcpProcess(preopened: "p-1"));

        Assert.Equal(new SessionRung.Choice(SessionStep.OpenNew), choice);
    }

    [Fact]
    public void AKnownSession_IsResumedRatherThanThePreopenedOneTaken()
    {
        var choice = SessionRung.Choose(new SessionRequest("s-1", Cwd), AcpProcess(preopened: "p-1"));

        Assert.Equal(new SessionRung.Choice(SessionStep.Resume), choice);
    }

    [Fact]
    public void AKnownSessionTheAgentCannotResume_GetsANewSessionAndSaysWhy()
    {
        var choice = SessionRung.Choose(new SessionRequest("s-1", Cwd), AcpProcess(preopened: "p-1", canResume: false));

        Assert.Equal(new SessionRung.Choice(SessionStep.OpenNew, FallbackReasons.ResumeUnsupported), choice);
    }

    [Theory]
    [InlineData(StartKinds.Prewarmed)]
    [InlineData(StartKinds.New)]
    public void AProcessLaunchedWithItsSession_GivesItToANewConversation(string kind)
    {
        var choice = SessionRung.Choose(new SessionRequest(null, Cwd), LaunchedProcess("preset-1", kind));

        Assert.Equal(new SessionRung.Choice(SessionStep.TakeWaiting), choice);
    }

    [Fact]
    public void AProcessResumedAtLaunch_GivesThatSessionToItsTurn()
    {
        var choice = SessionRung.Choose(new SessionRequest("s-1", Cwd), LaunchedProcess("s-1", StartKinds.Resumed));

        Assert.Equal(new SessionRung.Choice(SessionStep.TakeWaiting), choice);
    }

    [Fact]
    public void AProcessLaunchedForANewThreadWhoseIdIsNotKnownYet_GivesItToANewConversation()
    {
        var choice = SessionRung.Choose(new SessionRequest(null, Cwd), LaunchedProcess(null, StartKinds.New));

        Assert.Equal(new SessionRung.Choice(SessionStep.TakeWaiting), choice);
    }

    [Fact]
    public void AProcessWithOneSessionFixedAtLaunch_ReusesItLive()
    {
        var choice = SessionRung.Choose(new SessionRequest("s-1", Cwd), LaunchedProcess(null, StartKinds.Prewarmed, live: "s-1"));

        Assert.Equal(new SessionRung.Choice(SessionStep.ReuseLive), choice);
    }

    [Theory]
    [InlineData("other-session", Cwd)]
    [InlineData("preset-1", "/srv/project/other")]
    [InlineData(null, "/srv/project/other")]
    public void AProcessWithOneSessionFixedAtLaunch_AskedForAnother_IsAPoolBug(string? resume, string cwd)
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            SessionRung.Choose(new SessionRequest(resume, cwd), LaunchedProcess("preset-1", StartKinds.Prewarmed)));

        Assert.Contains("prewarmed session preset-1 in /srv/project/default", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AProcessResumedAtLaunch_IsNotGivenToAnotherConversation()
    {
        Assert.Throws<InvalidOperationException>(() =>
            SessionRung.Choose(new SessionRequest(null, Cwd), LaunchedProcess("s-1", StartKinds.Resumed)));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("s-1", FallbackReasons.NoSessions)]
    public void AProcessWithoutSessions_RunsTheTurnAndSaysWhenItCouldNotResume(string? resume, string? fallback)
    {
        var plain = new SessionOffer(null, null, new HeldSession(null, Cwd, StartKinds.New), CanResume: false, CanOpen: false, HasSessions: false);

        var choice = SessionRung.Choose(new SessionRequest(resume, Cwd), plain);

        Assert.Equal(new SessionRung.Choice(SessionStep.TakeWaiting, fallback), choice);
    }
}

using Workers.Families;
using Workers.Profiles;

namespace Workers.Tests.Families;

public sealed class ResumeFidelityTests
{
    [Theory]
    [InlineData(false, StartKinds.Prewarmed, false, ResumeFidelity.First)]
    [InlineData(false, StartKinds.New, true, ResumeFidelity.First)]
    [InlineData(true, StartKinds.Live, false, ResumeFidelity.Live)]
    [InlineData(true, StartKinds.Resumed, false, ResumeFidelity.Resumed)]
    [InlineData(true, StartKinds.New, true, ResumeFidelity.Transcript)]
    [InlineData(true, StartKinds.Prewarmed, true, ResumeFidelity.Transcript)]
    [InlineData(true, StartKinds.New, false, ResumeFidelity.None)]
    [InlineData(true, StartKinds.Prewarmed, false, ResumeFidelity.None)]
    public void Of_SaysWhatTheSessionHeldOfTheConversation(bool continued, string sessionKind, bool transcriptSent, string expected) =>
        Assert.Equal(expected, ResumeFidelity.Of(continued, sessionKind, transcriptSent));

    [Theory]
    [InlineData(ResumeMode.Auto, true, false, true)]
    [InlineData(ResumeMode.Load, false, true, true)]
    [InlineData(ResumeMode.None, true, false, false)]
    [InlineData(ResumeMode.None, false, true, false)]
    [InlineData(ResumeMode.Auto, false, false, false)]
    public void ProfileResumes_OnlyWhenTheFamilyCanAndTheProfileLetsIt(ResumeMode mode, bool manySessions, bool atLaunch, bool expected)
    {
        var profile = new ResolvedProfile
        {
            Name = "p",
            Family = "f",
            Options = new AgentProfile { Resume = mode },
            HomeDirectory = "/nonexistent/home",
            DefaultWorkingDirectory = "/nonexistent/work",
            Environment = new Dictionary<string, string>(),
            Digest = "d",
        };
        var traits = new FamilyTraits(ServesManyTurns: true, ServesManySessions: manySessions, ResumesAtLaunch: atLaunch,
            PresetsSessionAtLaunch: false, PreopensSessions: false);

        Assert.Equal(expected, ResumeFidelity.ProfileResumes(profile, traits));
    }
}

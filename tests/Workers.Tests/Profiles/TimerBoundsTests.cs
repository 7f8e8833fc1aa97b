using Workers.Families;
using Workers.Profiles;

namespace Workers.Tests.Profiles;

/// <summary>A timeout the service turns into a timer or a CancellationTokenSource must fit one (at most 4 294 967 294 ms,
/// about 49.7 days): a longer one fails start-up naming the setting, instead of throwing in a running turn.</summary>
public sealed class TimerBoundsTests
{
    public static TheoryData<string, Action<AgentProfile>> TooLong => new()
    {
        { "Timeouts:Ready", p => p.Timeouts.Ready = TimeSpan.FromDays(60) },
        { "Timeouts:FirstToken", p => p.Timeouts.FirstToken = TimeSpan.FromDays(50) },
        { "Timeouts:Turn", p => p.Timeouts.Turn = TimeSpan.FromDays(60) },
        { "Timeouts:Cancel", p => p.Timeouts.Cancel = TimeSpan.FromDays(60) },
        { "Timeouts:GracefulStop", p => p.Timeouts.GracefulStop = TimeSpan.FromDays(60) },
        { "Pool:StartTimeout", p => p.Pool.StartTimeout = TimeSpan.FromDays(60) },
        { "Pool:LeaseTimeout", p => p.Pool.LeaseTimeout = TimeSpan.MaxValue },
        { "Pool:StartBackoff", p => p.Pool.StartBackoff = TimeSpan.FromDays(60) },
        { "Pool:StartBackoffMax", p => p.Pool.StartBackoffMax = TimeSpan.FromDays(60) },
    };

    [Theory]
    [MemberData(nameof(TooLong))]
    public void TimeoutLongerThanATimerCanWait_FailsValidationNamingTheSetting(string setting, Action<AgentProfile> change)
    {
        var profile = new AgentProfile { Family = "plain", Command = "/bin/cat" };
        change(profile);

        var result = new WorkersOptionsValidator(AgentDrivers.BuiltInNames).Validate(null, new WorkersOptions { DataDirectory = "/tmp", Profiles = { ["p"] = profile } });

        Assert.True(result.Failed, $"{setting} passed");
        Assert.Contains(result.Failures!, f => f.StartsWith($"Workers:Profiles:p:{setting} ", StringComparison.Ordinal) && f.Contains("49.", StringComparison.Ordinal));
    }

    [Fact]
    public void TheLongestTimeoutATimerTakes_IsValid()
    {
        var longest = TimeSpan.FromMilliseconds(uint.MaxValue - 1);
        var profile = new AgentProfile { Family = "plain", Command = "/bin/cat" };
        profile.Timeouts.Turn = longest;
        profile.Timeouts.FirstToken = longest;
        profile.Pool.LeaseTimeout = longest;

        var result = new WorkersOptionsValidator(AgentDrivers.BuiltInNames).Validate(null, new WorkersOptions { DataDirectory = "/tmp", Profiles = { ["p"] = profile } });

        Assert.False(result.Failed, string.Join("; ", result.Failures ?? []));
        using var timer = new CancellationTokenSource(longest);
    }
}

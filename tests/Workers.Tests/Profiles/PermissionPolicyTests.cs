using Workers.Profiles;

namespace Workers.Tests.Profiles;

public sealed class PermissionPolicyTests
{
    [Fact]
    public void Decide_DenyListWinsOverAllowList()
    {
        var policy = new PermissionPolicy { Allow = ["*"], Deny = ["Bash"] };

        Assert.Equal(PermissionDecision.Deny, policy.Decide("bash"));
        Assert.Equal(PermissionDecision.Allow, policy.Decide("Read"));
    }

    [Fact]
    public void Decide_UnlistedTool_GetsTheDefault()
    {
        var policy = new PermissionPolicy { Allow = ["edit"], Default = PermissionDecision.Deny };

        Assert.Equal(PermissionDecision.Allow, policy.Decide("edit", "Write sim.txt"));
        Assert.Equal(PermissionDecision.Deny, policy.Decide("execute", null));
    }
}

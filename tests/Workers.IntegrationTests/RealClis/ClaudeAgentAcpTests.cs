namespace Workers.IntegrationTests.RealClis;

/// <summary>The end-to-end scenarios on the real CLI of profile <c>claude-agent-acp</c> (see <see cref="RealCli.ClaudeAgentAcp"/>).</summary>
public sealed class ClaudeAgentAcpTests : RealCliTests
{
    protected override RealCli Cli => RealCli.ClaudeAgentAcp;
}

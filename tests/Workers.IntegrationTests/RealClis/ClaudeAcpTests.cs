namespace Workers.IntegrationTests.RealClis;

/// <summary>The end-to-end scenarios on the real CLI of profile <c>ClaudeAcp</c> (see <see cref="RealCli.ClaudeAcp"/>).</summary>
public sealed class ClaudeAcpTests : RealCliTests
{
    protected override RealCli Cli => RealCli.ClaudeAcp;
}

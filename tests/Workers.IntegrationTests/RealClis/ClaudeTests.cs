namespace Workers.IntegrationTests.RealClis;

/// <summary>The end-to-end scenarios on the real CLI of profile <c>Claude</c> (see <see cref="RealCli.Claude"/>).</summary>
public sealed class ClaudeTests : RealCliTests
{
    protected override RealCli Cli => RealCli.Claude;
}

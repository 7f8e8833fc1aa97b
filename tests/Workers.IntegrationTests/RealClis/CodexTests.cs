namespace Workers.IntegrationTests.RealClis;

/// <summary>The end-to-end scenarios on the real CLI of profile <c>Codex</c> (see <see cref="RealCli.Codex"/>).</summary>
public sealed class CodexTests : RealCliTests
{
    protected override RealCli Cli => RealCli.Codex;
}

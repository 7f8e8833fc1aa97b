namespace Workers.IntegrationTests.RealClis;

/// <summary>The end-to-end scenarios on the real CLI of profile <c>CodexAcp</c> (see <see cref="RealCli.CodexAcp"/>).</summary>
public sealed class CodexAcpTests : RealCliTests
{
    protected override RealCli Cli => RealCli.CodexAcp;
}

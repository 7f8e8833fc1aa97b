namespace Workers.IntegrationTests.RealClis;

/// <summary>The end-to-end scenarios on the real CLI of profile <c>GeminiAcp</c> (see <see cref="RealCli.GeminiAcp"/>).</summary>
public sealed class GeminiAcpTests : RealCliTests
{
    protected override RealCli Cli => RealCli.GeminiAcp;
}

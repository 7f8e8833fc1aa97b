namespace Workers.IntegrationTests.RealClis;

/// <summary>The end-to-end scenarios on the real CLI of profile <c>OpencodeAcp</c> (see <see cref="RealCli.OpencodeAcp"/>).</summary>
public sealed class OpencodeAcpTests : RealCliTests
{
    protected override RealCli Cli => RealCli.OpencodeAcp;
}

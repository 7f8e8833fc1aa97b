namespace Workers.ModelStub;

/// <summary>How the stub answers; changeable while it runs (tests tune it per case). Prompt directives
/// (<see cref="StubDirectives"/>) override these per request.</summary>
public sealed class StubOptions
{
    /// <summary>Wait between the request and the first streamed token.</summary>
    /// <value>The default is 300 ms.</value>
    public TimeSpan FirstTokenDelay { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Tokens (words) in a streamed answer.</summary>
    /// <value>The default is 8.</value>
    public int Tokens { get; set; } = 8;

    /// <summary>Wait between two streamed tokens.</summary>
    /// <value>The default is 10 ms.</value>
    public TimeSpan TokenInterval { get; set; } = TimeSpan.FromMilliseconds(10);
}

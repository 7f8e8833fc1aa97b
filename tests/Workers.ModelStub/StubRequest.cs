namespace Workers.ModelStub;

/// <summary>One request the stub received, as the tests read it back.</summary>
/// <param name="At">When it arrived.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The request path.</param>
/// <param name="Query">The query string, with its <c>?</c>.</param>
/// <param name="Body">The request body as received.</param>
/// <param name="Api"><c>anthropic</c>, <c>openai</c>, <c>gemini</c> or <c>other</c>.</param>
/// <param name="Status">The HTTP status the stub answered.</param>
/// <param name="LastUserText">The text of the request's last user message (what the directives were read from).</param>
public sealed record StubRequest(DateTimeOffset At, string Method, string Path, string Query, string Body, string Api, int Status,
    string LastUserText);

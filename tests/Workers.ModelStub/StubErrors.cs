namespace Workers.ModelStub;

/// <summary>The wording a real provider uses for a status, so the agents' error texts look as they would in production
/// (and classification cannot lean on the stub spelling out the code).</summary>
internal static class StubErrors
{
    public static string Message(string api, int status) => (api, status) switch
    {
        ("anthropic", 401) => "invalid x-api-key",
        ("anthropic", 429) => "Number of request tokens has exceeded your per-minute rate limit",
        ("anthropic", 529) => "Overloaded",
        ("anthropic", >= 500) => "Internal server error",
        ("openai", 401) => "Incorrect API key provided: dummy.",
        ("openai", 429) => "Rate limit reached for requests.",
        ("openai", >= 500) => "The server had an error while processing your request.",
        ("gemini", 401) => "API key not valid. Please pass a valid API key.",
        ("gemini", 429) => "Resource has been exhausted (e.g. check quota).",
        ("gemini", >= 500) => "Internal error encountered.",
        _ => $"Request failed with status {status}.",
    };
}

using Workers.Turns;

namespace Workers.Tests.Turns;

public sealed class ClassifierTests
{
    [Theory]
    [InlineData(401, FailureReasons.Auth)]
    [InlineData(403, FailureReasons.Auth)]
    [InlineData(402, FailureReasons.Balance)]
    [InlineData(429, FailureReasons.RateLimit)]
    [InlineData(500, FailureReasons.ProviderError)]
    [InlineData(529, FailureReasons.ProviderError)]
    [InlineData(418, FailureReasons.Unclassified)]
    public void FromHttpStatus_MapsToTheTaxonomy(int status, string reason) =>
        Assert.Equal(reason, ProviderErrorClassifier.FromHttpStatus(status));

    [Theory]
    [InlineData("API Error: 429 rate_limit_error", FailureReasons.RateLimit)]
    [InlineData("unexpected status 401 Unauthorized: bad key", FailureReasons.Auth)]
    [InlineData("Invalid API key · Please run /login", FailureReasons.Auth)]
    [InlineData("Your credit balance is too low", FailureReasons.Balance)]
    [InlineData("Overloaded", FailureReasons.ProviderError)]
    [InlineData("invalid x-api-key", FailureReasons.Auth)]
    [InlineData("We're currently experiencing high demand, which may cause temporary errors.", FailureReasons.ProviderError)]
    [InlineData("the model wandered off", FailureReasons.Unclassified)]
    [InlineData(null, FailureReasons.Unclassified)]
    public void FromText_ClassifiesByStatusThenWording(string? text, string reason) =>
        Assert.Equal(reason, ProviderErrorClassifier.FromText(text));

    [Theory]
    [InlineData("authentication_failed", FailureReasons.Auth)]
    [InlineData("billing_error", FailureReasons.Balance)]
    [InlineData("rate_limit", FailureReasons.RateLimit)]
    [InlineData("server_error", FailureReasons.ProviderError)]
    [InlineData("something_new", FailureReasons.Unclassified)]
    public void FromClaudeErrorKind_ClassifiesByField(string kind, string reason) =>
        Assert.Equal(reason, ProviderErrorClassifier.FromClaudeErrorKind(kind));

    [Theory]
    [InlineData("No conversation found with session ID: 1234", true)]
    [InlineData("Invalid session identifier", true)]
    [InlineData("Error: no rollout found for thread id abc", true)]
    [InlineData("Resource not found", true)]
    [InlineData("API Error: 500", false)]
    [InlineData(null, false)]
    public void StaleSessionPatterns_RecogniseTheAgentsWordings(string? text, bool stale) =>
        Assert.Equal(stale, StaleSessionPatterns.IsStale(text));

    [Fact]
    public void TranscriptPrompt_ReplaysMessagesThenTheNewOne()
    {
        var prompt = TranscriptPrompt.Render([new("user", "hi"), new("assistant", "hello")], "next");

        Assert.Contains("[user]\nhi", prompt, StringComparison.Ordinal);
        Assert.Contains("[assistant]\nhello", prompt, StringComparison.Ordinal);
        Assert.EndsWith("next", prompt, StringComparison.Ordinal);
        Assert.Equal("only", TranscriptPrompt.Render([], "only"));
    }
}

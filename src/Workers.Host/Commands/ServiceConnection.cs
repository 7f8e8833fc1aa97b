using System.CommandLine;

namespace Workers.Host.Commands;

/// <summary>The <c>--url</c> and <c>--token</c> options of the verbs that talk to a running service, with their
/// environment fallbacks (<c>WORKERS_URL</c>, <c>WORKERS_TOKEN</c>).</summary>
internal sealed class ServiceConnection
{
    public const string DefaultUrl = "http://127.0.0.1:8080";

    public Option<string> Url { get; } = new("--url")
    {
        Description = $"The service's base URL (default: $WORKERS_URL, else {DefaultUrl}).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("WORKERS_URL") is { Length: > 0 } url ? url : DefaultUrl,
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "The bearer token, when the service has Workers:Service:ApiTokens (default: $WORKERS_TOKEN).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("WORKERS_TOKEN") is { Length: > 0 } token ? token : null,
    };

    public ServiceConnection()
    {
        Url.Validators.Add(result =>
        {
            if (!Uri.TryCreate(result.GetValueOrDefault<string>(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                result.AddError($"--url '{result.GetValueOrDefault<string>()}' is not an absolute http(s) URL.");
            }
        });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Url);
        command.Options.Add(Token);
    }

    public WorkersApiClient CreateClient(ParseResult parse) => new(new Uri(parse.GetValue(Url)!), parse.GetValue(Token));
}

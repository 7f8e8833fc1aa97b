using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Workers.Serialization;
using Workers.Service;

namespace Workers.Host.Commands;

/// <summary>The service's HTTP API as a producer uses it (<c>specs/api.md</c>): enqueue, read a turn, read the pools,
/// follow a turn's events.</summary>
internal sealed class WorkersApiClient : IDisposable
{
    /// <summary>Requests other than an event stream; a stream may stay open as long as its turn runs.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;

    public WorkersApiClient(Uri baseAddress, string? token)
    {
        // A trailing slash keeps a path prefix (a service behind a proxy at /workers/) when relative paths are resolved.
        var root = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
        _http = new HttpClient { BaseAddress = root, Timeout = Timeout.InfiniteTimeSpan };
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        Events = new TurnEventFollower(_http, TimeProvider.System);
    }

    public Uri BaseAddress => _http.BaseAddress!;

    public TurnEventFollower Events { get; }

    /// <summary>POST /v1/turns; returns the turn's id.</summary>
    /// <remarks>The body always carries an id, so a POST whose answer was lost can be sent again: the same id with the same
    /// body is the same turn, never a second one.</remarks>
    public async Task<string> EnqueueAsync(TurnSubmission submission, CancellationToken cancellationToken)
    {
        var body = submission.Id is null ? submission with { Id = Guid.NewGuid().ToString("N") } : submission;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var accepted = await SendAsync(token => _http.PostAsJsonAsync("v1/turns", body, WorkersJson.Options, token), cancellationToken);
                return accepted.GetProperty("id").GetString()!;
            }
            catch (HttpRequestException) when (attempt < 3)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt), TimeProvider.System, cancellationToken);
            }
        }
    }

    /// <summary>GET a JSON resource (<c>v1/turns/{id}</c>, <c>v1/pools</c>).</summary>
    public Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(token => _http.GetAsync(path, token), cancellationToken);

    public void Dispose() => _http.Dispose();

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new ApiProblemException(await ApiProblem.ReadAsync(response, cancellationToken));
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
        return document.RootElement.Clone();
    }

    private static async Task<JsonElement> SendAsync(Func<CancellationToken, Task<HttpResponseMessage>> send, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(RequestTimeout, TimeProvider.System);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var response = await send(linked.Token);
            return await ReadJsonAsync(response, linked.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The service did not answer within {RequestTimeout.TotalSeconds:0} s.");
        }
    }
}

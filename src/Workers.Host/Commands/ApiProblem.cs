using System.Globalization;
using System.Text.Json;

namespace Workers.Host.Commands;

/// <summary>A 4xx/5xx answer of the service: its RFC 9457 Problem Details (title, detail, <c>errors</c> per field), or
/// what can be said of a body that is not one (a proxy's error page).</summary>
internal sealed record ApiProblem(int Status, string Title, string? Detail, IReadOnlyList<KeyValuePair<string, string[]>> Errors,
    TimeSpan? RetryAfter)
{
    public static async Task<ApiProblem> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var retryAfter = response.Headers.RetryAfter?.Delta;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var errors = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object
                ? e.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.ValueKind == JsonValueKind.Array
                    ? p.Value.EnumerateArray().Select(m => m.ToString()).ToArray()
                    : [p.Value.ToString()])).ToList()
                : [];
            return new ApiProblem(status, String(root, "title") ?? response.ReasonPhrase ?? "Error", String(root, "detail"), errors, retryAfter);
        }
        catch (JsonException)
        {
            var detail = body.Length > 500 ? body[..500] + "…" : body;
            return new ApiProblem(status, response.ReasonPhrase ?? "Error", detail.Length == 0 ? null : detail, [], retryAfter);
        }
    }

    public void WriteTo(TextWriter writer)
    {
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"workers: {Status} {Title}"));
        if (Detail is not null)
        {
            writer.WriteLine($"  {Detail}");
        }

        foreach (var (field, messages) in Errors)
        {
            foreach (var message in messages)
            {
                writer.WriteLine($"  {field}: {message}");
            }
        }

        if (RetryAfter is { } wait)
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  Retry after {wait.TotalSeconds:0} s."));
        }
    }

    private static string? String(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}

using System.Net.Sockets;
using System.Text;

namespace Workers.IntegrationTests.Support;

/// <summary>A hostile producer below HttpClient: writes a request's bytes as given (a Content-Length it never honours, a
/// body it sends slowly or not at all) on its own connection and reads whatever the server answers until it closes.</summary>
public static class RawHttp
{
    public sealed record Answer(int Status, string Head, string Body)
    {
        public string? ContentType => Head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))?
            [13..].Trim();
    }

    /// <summary>Sends <paramref name="head"/> (the request line and headers; the blank line is added) and then
    /// <paramref name="body"/>, or nothing more, and reads the answer until the server closes the connection.</summary>
    public static async Task<Answer> SendAsync(Uri server, string head, byte[]? body, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, cancellationToken);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.TrimEnd() + "\r\nConnection: close\r\n\r\n"), cancellationToken);
        if (body is not null)
        {
            await stream.WriteAsync(body, cancellationToken);
        }

        using var answer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(answer, cancellationToken);
        }
        catch (IOException) when (answer.Length > 0)
        {
            // The server answered and reset the connection on a body it did not read: the answer is what counts.
        }

        var text = Encoding.UTF8.GetString(answer.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, $"no HTTP answer: '{text}'");
        var status = int.Parse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        return new Answer(status, text[..split], Dechunk(text[(split + 4)..]));
    }

    private static string Dechunk(string body)
    {
        var text = new StringBuilder();
        var rest = body;
        while (rest.IndexOf("\r\n", StringComparison.Ordinal) is var end and > 0
            && int.TryParse(rest.AsSpan(0, end), System.Globalization.NumberStyles.HexNumber, null, out var size))
        {
            if (size == 0)
            {
                return text.ToString();
            }

            text.Append(rest.AsSpan(end + 2, size));
            rest = rest[(end + 2 + size + 2)..];
        }

        return text.Length > 0 ? text.ToString() : body;
    }
}

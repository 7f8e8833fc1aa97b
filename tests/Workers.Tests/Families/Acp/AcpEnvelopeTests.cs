using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using StreamJsonRpc;
using Workers.Families.Acp;

namespace Workers.Tests.Families.Acp;

/// <summary>The filter's rule for what may reach StreamJsonRpc, checked against StreamJsonRpc itself over real pipes: every
/// message the rule refuses is one on which StreamJsonRpc drops its whole connection (so one line from an agent would end
/// every later turn on the process), and every message it lets through leaves the connection serving.</summary>
public sealed class AcpEnvelopeTests
{
    /// <summary>Stands for the id of a request StreamJsonRpc is waiting on (its ids are its own).</summary>
    private const string Pending = "PENDING";

    public static TheoryData<string> Refused => new()
    {
        "{}",
        """{"jsonrpc":"2.0"}""",
        """{"jsonrpc":"2.0","method":42,"id":1}""",
        """{"jsonrpc":"2.0","method":"x","id":1.5}""",
        """{"jsonrpc":"2.0","method":"x","id":1e3}""",
        """{"jsonrpc":"2.0","method":"x","id":18446744073709551616}""",
        """{"jsonrpc":"2.0","method":"x","id":{}}""",
        """{"jsonrpc":"2.0","method":"x","id":[1]}""",
        """{"jsonrpc":"2.0","method":"x","id":true}""",
        """{"jsonrpc":"2.0","method":"x","params":"text","id":7}""",
        """{"jsonrpc":"2.0","method":"x","params":42}""",
        """{"jsonrpc":"2.0","error":"text","id":PENDING}""",
        """{"jsonrpc":"2.0","error":{"code":"x","message":"x"},"id":PENDING}""",
        """{"jsonrpc":"2.0","error":{"code":-32603},"id":PENDING}""",
        """{"jsonrpc":"2.0","error":{"code":-32603,"message":7},"id":PENDING}""",
        """{"jsonrpc":"2.0","error":{"code":1.5,"message":"x"},"id":PENDING}""",
        """{"jsonrpc":"2.0","error":{"code":18446744073709551616,"message":"x"},"id":PENDING}""",
        """{"jsonrpc":"2.0","result":{},"id":1.5}""",
    };

    public static TheoryData<string> Passed => new()
    {
        """{"jsonrpc":"2.0","method":"x","id":null}""",
        """{"jsonrpc":"1.0","method":"x","id":7}""",
        """{"jsonrpc":"2.0","method":"nosuch"}""",
        """{"jsonrpc":"2.0","method":"nosuch","id":8}""",
        """{"jsonrpc":"2.0","method":"ping","id":9,"params":[1,2,3]}""",
        """{"jsonrpc":"2.0","method":"ping","id":"s","params":{"a":"\ud83d"}}""",
        """{"jsonrpc":"2.0","method":"x","id":-1}""",
        """{"jsonrpc":"2.0","result":{"stopReason":"end_turn"},"id":PENDING}""",
        """{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error","data":{"details":"x"}},"id":PENDING}""",
        """{"jsonrpc":"2.0","error":{"code":-32603,"message":null},"id":PENDING}""",
        """{"jsonrpc":"2.0","error":{"code":4294967296,"message":"x"},"id":PENDING}""",
    };

    [Theory(Timeout = 10_000)]
    [MemberData(nameof(Refused))]
    public async Task MessageTheRuleRefuses_IsOneThatEndsStreamJsonRpcsConnection(string line)
    {
        await using var peer = await Peer.StartAsync(TestContext.Current.CancellationToken);
        var message = peer.Resolve(line);

        Assert.NotNull(AcpEnvelope.Problem(Parse(message)));
        Assert.False(await peer.SurvivesAsync(message, TestContext.Current.CancellationToken),
            $"StreamJsonRpc kept serving after {message}");
    }

    [Theory(Timeout = 10_000)]
    [MemberData(nameof(Passed))]
    public async Task MessageTheRulePasses_LeavesStreamJsonRpcServing(string line)
    {
        await using var peer = await Peer.StartAsync(TestContext.Current.CancellationToken);
        var message = peer.Resolve(line);

        Assert.Null(AcpEnvelope.Problem(Parse(message)));
        Assert.True(await peer.SurvivesAsync(message, TestContext.Current.CancellationToken),
            $"StreamJsonRpc dropped its connection after {message}: {peer.Disconnect}");
    }

    private static JsonElement Parse(string line) => JsonSerializer.Deserialize<JsonElement>(line);

    /// <summary>StreamJsonRpc as Workers runs it (newline-delimited, System.Text.Json), with one request of its own waiting.</summary>
    private sealed class Peer : IAsyncDisposable
    {
        private readonly Pipe _inbound = new();
        private readonly Pipe _outbound = new();
        private readonly JsonRpc _rpc;
        private readonly Task<JsonElement> _waiting;

        private Peer()
        {
            var handler = new NewLineDelimitedMessageHandler(_outbound.Writer, _inbound.Reader, new SystemTextJsonFormatter())
            {
                NewLine = NewLineDelimitedMessageHandler.NewLineStyle.Lf,
            };
            _rpc = new JsonRpc(handler);
            _rpc.AddLocalRpcMethod("ping", new Func<int>(() => 1));
            _rpc.Disconnected += (_, e) => Disconnect = $"{e.Reason}: {e.Description}";
            _rpc.StartListening();
            _waiting = _rpc.InvokeWithParameterObjectAsync<JsonElement>("remote", new { });
        }

        public string? Disconnect { get; private set; }

        /// <summary>The id StreamJsonRpc gave its waiting request.</summary>
        private string PendingId { get; set; } = "";

        public static async Task<Peer> StartAsync(CancellationToken cancellationToken)
        {
            var peer = new Peer();
            var request = Parse(await peer.ReadLineAsync(cancellationToken) ?? "{}");
            peer.PendingId = request.GetProperty("id").GetRawText();
            return peer;
        }

        public string Resolve(string line) => line.Replace(Pending, PendingId, StringComparison.Ordinal);

        /// <summary>Writes <paramref name="message"/>, then a ping: true when the ping is answered, false when the connection
        /// ends first.</summary>
        public async Task<bool> SurvivesAsync(string message, CancellationToken cancellationToken)
        {
            await _inbound.Writer.WriteAsync(Encoding.UTF8.GetBytes(message + "\n"), cancellationToken);
            var probe = """{"jsonrpc":"2.0","method":"ping","id":"probe"}""" + "\n";
            await _inbound.Writer.WriteAsync(Encoding.UTF8.GetBytes(probe), cancellationToken);
            var answered = WaitForProbeAnswerAsync(cancellationToken);
            var ended = _rpc.Completion.ContinueWith(_ => false, TaskScheduler.Default);
            return await await Task.WhenAny(answered, ended);
        }

        private async Task<bool> WaitForProbeAnswerAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var line = await ReadLineAsync(cancellationToken);
                if (line is null || line.Contains("\"probe\"", StringComparison.Ordinal))
                {
                    return line is not null;
                }
            }
        }

        /// <summary>The next line StreamJsonRpc wrote; null once it writes no more.</summary>
        private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var read = await _outbound.Reader.ReadAsync(cancellationToken);
                var buffer = read.Buffer;
                if (buffer.PositionOf((byte)'\n') is { } end)
                {
                    var line = Encoding.UTF8.GetString(buffer.Slice(0, end));
                    _outbound.Reader.AdvanceTo(buffer.GetPosition(1, end));
                    return line;
                }

                _outbound.Reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    return null;
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            _rpc.Dispose();
            _ = _waiting.ContinueWith(t => t.Exception, TaskScheduler.Default);
            return ValueTask.CompletedTask;
        }
    }
}

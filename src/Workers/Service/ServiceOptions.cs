using System.ComponentModel.DataAnnotations;

namespace Workers.Service;

/// <summary><c>Workers:Service</c>: the queue, the dispatcher and the HTTP API. Checked at start-up by
/// <see cref="ServiceOptionsValidator"/>: a value outside its range stops the service with a message naming the setting.</summary>
public sealed class ServiceOptions
{
    public const string SectionName = "Workers:Service";

    /// <summary>Where the API listens.</summary>
    /// <value>The default is <c>http://127.0.0.1:8080</c>.</value>
    [Required(AllowEmptyStrings = false)]
    public string Urls { get; set; } = "http://127.0.0.1:8080";

    /// <summary>This worker's name in leases; defaults to host name and a random suffix per run.</summary>
    public string? InstanceId { get; set; }

    /// <summary>Queued turns above which enqueueing answers 429 with Retry-After.</summary>
    /// <value>The default is 1000.</value>
    [Range(1, int.MaxValue)]
    public int MaxQueuedTurns { get; set; } = 1000;

    /// <summary>The largest prompt accepted, in UTF-8 bytes.</summary>
    /// <value>The default is 256 KiB.</value>
    [Range(1, int.MaxValue)]
    public int MaxPromptBytes { get; set; } = 256 * 1024;

    /// <summary>The largest transcript accepted, in UTF-8 bytes of its texts.</summary>
    /// <value>The default is 4 MiB.</value>
    [Range(1, int.MaxValue)]
    public int MaxTranscriptBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>The most transcript entries a turn may carry.</summary>
    /// <value>The default is 1000.</value>
    [Range(1, 100_000)]
    public int MaxTranscriptEntries { get; set; } = 1000;

    /// <summary>The largest request body, in bytes: a larger Content-Length is refused (413) before the body is read, and
    /// Kestrel cuts a chunked body at it. At start-up it must hold the largest body the other limits allow
    /// (<see cref="RequestBodyLimit"/>).</summary>
    /// <value>The default is 26 MiB, which holds the worst case of the default limits.</value>
    [Range(1024, int.MaxValue)]
    public int MaxRequestBodyBytes { get; set; } = 26 * 1024 * 1024;

    /// <summary>How long a claim lasts without a heartbeat; heartbeats come every third of it.</summary>
    /// <value>The default is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:03", "1.00:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Claims a turn may have when its worker keeps dying; then it fails <c>worker_lost</c>.</summary>
    /// <value>The default is 3.</value>
    [Range(1, 1000)]
    public int MaxWorkerAttempts { get; set; } = 3;

    /// <summary>Events are written in batches at most this far apart (never one write per token).</summary>
    /// <value>The default is 100 ms.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan EventFlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often the dispatcher looks for work when nothing signalled it (other replicas, expired leases).</summary>
    /// <value>The default is 1 second.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an event stream may stay silent before a comment line is sent on it, so that a proxy or load balancer
    /// with an idle timeout keeps a stream open while its turn waits in the queue or for its agent.</summary>
    /// <value>The default is 15 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan SseKeepAlive { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Finished turns, their events and run records older than this are deleted.</summary>
    /// <value>The default is 7 days.</value>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Bearer tokens accepted by the API; empty means no authentication. Compared in constant time.</summary>
    public List<string> ApiTokens { get; set; } = [];

    /// <summary>Wrong or missing tokens one client may present in <see cref="FailedTokenWindow"/>; past them every request of
    /// that client that needs a token is refused 429 until the window ends, whatever it carries.</summary>
    /// <value>The default is 20.</value>
    [Range(1, 1_000_000)]
    public int FailedTokenLimit { get; set; } = 20;

    /// <summary>The window over which <see cref="FailedTokenLimit"/> counts a client's wrong tokens.</summary>
    /// <value>The default is 1 minute.</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan FailedTokenWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Proxies (an address, or a network as <c>10.0.0.0/8</c>) whose <c>X-Forwarded-For</c> names the client, so
    /// that an ingress is not one client to the per-client limits; empty means the connection's own address is the client
    /// and <c>X-Forwarded-For</c> is ignored.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Writes logs as JSON lines (for log shippers) instead of text.</summary>
    public bool JsonLogs { get; set; }
}

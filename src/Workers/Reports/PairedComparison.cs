using Workers.Pooling;
using Workers.Running;
using Workers.Turns;

namespace Workers.Reports;

/// <summary>The paired experiment of <c>workers report --paired N</c>: N times, the same continued turn of one
/// conversation run three ways — on its live session (pool, bound process), resumed in a fresh process (cold
/// <c>--resume</c>/<c>session/load</c>), and fresh (new process, new session, the transcript replayed) — so the
/// differences are measured on the same prompt and context, with confidence intervals.</summary>
public sealed class PairedComparison(PooledTurnRunner pooled, SpawnPerTurnRunner spawned, PoolRegistry pools)
{
    private static readonly string[] Kinds = ["live", "resumed", "fresh"];

    private sealed class Discard : ITurnEventSink
    {
        public void OnEvent(TurnEvent turnEvent)
        {
        }
    }

    public async Task<PairedResult> RunAsync(string profile, int pairs, CancellationToken cancellationToken)
    {
        if (pools.TryGet(profile, out var pool))
        {
            pool.Start();
            await pool.WaitForReadyAsync(Math.Min(1, pool.Options.MaxReady), cancellationToken);
        }

        var live = new List<double>();
        var resumed = new List<double>();
        var fresh = new List<double>();
        var sink = new Discard();
        for (var i = 0; i < pairs; i++)
        {
            var conversation = $"paired-{Guid.NewGuid():N}";
            const string opening = "Here is the plan for the refactor we discussed; keep it in mind.";
            const string question = "Given that plan, what is the first file to change?";
            var first = await pooled.RunAsync(new TurnRequest { Profile = profile, Prompt = opening, ConversationId = conversation }, sink, cancellationToken);
            if (first.Status != TurnStatus.Succeeded)
            {
                throw new InvalidOperationException($"The opening turn of pair {i + 1} failed: {first.Reason} {first.Message}");
            }

            TranscriptMessage[] transcript = [new("user", opening), new("assistant", first.Text)];
            // The three runs alternate their order, so a drift over the run (caches, load) does not favour one.
            var order = Kinds.OrderBy(_ => Random.Shared.Next()).ToArray();
            foreach (var kind in order)
            {
                var request = new TurnRequest { Profile = profile, Prompt = question, Continued = true, Transcript = transcript };
                var result = kind switch
                {
                    "live" => await pooled.RunAsync(request with { ConversationId = conversation }, sink, cancellationToken),
                    "resumed" => await spawned.RunAsync(request with { ResumeSessionId = first.SessionId }, sink, cancellationToken),
                    _ => await spawned.RunAsync(request, sink, cancellationToken),
                };
                var seconds = result.Timing.SpawnToFirstToken?.TotalSeconds
                    ?? throw new InvalidOperationException($"The {kind} run of pair {i + 1} had no first token: {result.Reason} {result.Message}");
                (kind == "live" ? live : kind == "resumed" ? resumed : fresh).Add(seconds);
            }
        }

        return new PairedResult(profile, pairs, Summary.Of(live), Summary.Of(resumed), Summary.Of(fresh),
            Difference.Of(resumed, live), Difference.Of(fresh, live), Difference.Of(fresh, resumed));
    }
}

/// <summary>The outcome of <see cref="PairedComparison"/>: seconds of <c>spawn_to_first_token</c>.</summary>
public sealed record PairedResult(string Profile, int Pairs, Summary Live, Summary Resumed, Summary Fresh, Difference ResumedMinusLive,
    Difference FreshMinusLive, Difference FreshMinusResumed);

public sealed record Summary(double Mean, double P50, double P90)
{
    public static Summary Of(IReadOnlyList<double> values)
    {
        var quantiles = Quantiles.Of(values.Select(v => (double?)v));
        return new Summary(values.Average(), quantiles.P50 ?? 0, quantiles.P90 ?? 0);
    }
}

/// <summary>The mean of paired differences with its 95 % confidence interval (Student's t).</summary>
public sealed record Difference(double Mean, double Low, double High)
{
    public static Difference Of(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var differences = a.Zip(b, (x, y) => x - y).ToArray();
        var n = differences.Length;
        var mean = differences.Average();
        var variance = n > 1 ? differences.Sum(d => (d - mean) * (d - mean)) / (n - 1) : 0;
        var half = StudentT975(n - 1) * Math.Sqrt(variance / n);
        return new Difference(mean, mean - half, mean + half);
    }

    /// <summary>The 97.5 % quantile of Student's t with <paramref name="degrees"/> degrees of freedom (Cornish–Fisher
    /// expansion around the normal quantile; within 0.2 % for ν ≥ 5).</summary>
    public static double StudentT975(int degrees)
    {
        const double z = 1.959963984540054;
        if (degrees <= 0)
        {
            return double.PositiveInfinity;
        }

        double v = degrees;
        return z + ((Math.Pow(z, 3) + z) / (4 * v)) + (((5 * Math.Pow(z, 5)) + (16 * Math.Pow(z, 3)) + (3 * z)) / (96 * v * v))
            + (((3 * Math.Pow(z, 7)) + (19 * Math.Pow(z, 5)) + (17 * Math.Pow(z, 3)) - (15 * z)) / (384 * v * v * v));
    }
}

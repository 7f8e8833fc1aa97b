using BenchmarkDotNet.Attributes;
using Workers.Service;
using Workers.Store;
using Workers.Turns;

namespace Workers.MicroBenchmarks.Streaming;

/// <summary>A decoded text delta to the JSON that the store keeps and every SSE reader is sent (<c>StoreEventSink.ToStored</c>):
/// once per event, between the family's decode and the fan-out.</summary>
[MemoryDiagnoser]
public class EventEncodeBenchmarks
{
    private readonly TextDelta _delta = new(" streaming") { Sequence = 42 };
    private readonly DateTimeOffset _now = DateTimeOffset.UnixEpoch;

    [Benchmark]
    public StoredEvent EncodeTextDelta() => StoreEventSink.ToStored(_delta, _now);
}

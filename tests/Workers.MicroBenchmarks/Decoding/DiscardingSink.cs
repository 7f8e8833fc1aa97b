using Workers.Turns;

namespace Workers.MicroBenchmarks.Decoding;

/// <summary>Takes a turn's events and keeps none: the decode benchmarks measure the family's decoding up to the emitted
/// event, not what the service then does with it (that is <c>EventEncodeBenchmarks</c> and the fan-out's).</summary>
internal sealed class DiscardingSink : ITurnEventSink
{
    public long Events { get; private set; }

    public void OnEvent(TurnEvent turnEvent) => Events++;
}

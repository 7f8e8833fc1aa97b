namespace Workers.Service;

internal sealed partial class StoreEventSink
{
    /// <summary>The sink's bounds (<c>specs/store.md</c> "Event writes when the store fails").</summary>
    /// <param name="LeaseDuration">Writes failing this long, while the turn runs, fail it: past its lease another worker
    /// may claim it, and this run must not go on beside that one.</param>
    /// <param name="MaxBufferedEvents">Events held for the store at most; one more fails the turn instead of growing.</param>
    public sealed record Limits(TimeSpan LeaseDuration, int MaxBufferedEvents = Limits.DefaultMaxBufferedEvents)
    {
        /// <summary>About 2 MB of text deltas: a minute and more of a fast agent's output, while the lease bounds a
        /// failing store to 30 s by default.</summary>
        public const int DefaultMaxBufferedEvents = 10_000;

        /// <summary>Leases a finish keeps trying for (see <see cref="FinishOutageLimit"/>).</summary>
        public const int FinishOutageLeases = 10;

        /// <summary>With the default lease.</summary>
        public static Limits Default { get; } = For(new ServiceOptions());

        /// <summary>How long the finish keeps trying a store that fails every write: past a failover or a restart of the
        /// store's host, so that the turn's end is written when the store answers again; bounded, so that a store that
        /// refuses only this turn (a bug) does not hold its run for ever. Giving up loses nothing the store promised: the
        /// turn is still running there with its lease expired, and a claim takes it again or fails it <c>worker_lost</c>.</summary>
        public TimeSpan FinishOutageLimit => LeaseDuration * FinishOutageLeases;

        public static Limits For(ServiceOptions options) => new(options.LeaseDuration);
    }
}

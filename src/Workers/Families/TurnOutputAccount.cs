using System.Globalization;
using Workers.Turns;

namespace Workers.Families;

/// <summary>What one turn may take of its agent's stdout, counted per turn (a new turn starts from nothing). Two bounds that
/// hold whatever the agent writes (<c>specs/security.md</c>, "Hostile agents"): at most <c>MaxTurnOutputBytes</c> of stdout
/// while the turn runs, because everything the turn takes is held until it is stored (its events in the store's buffer,
/// its text for its end), so a flood of valid lines would otherwise grow the service's memory and the store without end;
/// and skipped lines are reported one notice each for the first <see cref="NoticedLines"/> only, then by a count at every
/// power of ten, so a flood of garbage makes a handful of events, not one per line. Used by one reader at a time.</summary>
internal sealed class TurnOutputAccount(long maxTurnOutputBytes)
{
    /// <summary>Skipped lines of a turn that get a notice of their own.</summary>
    public const int NoticedLines = 10;

    private TurnContext? _turn;
    private long _bytes;
    private long _skipped;
    private bool _exceeded;

    public long MaxTurnOutputBytes => maxTurnOutputBytes;

    /// <summary>Counts <paramref name="bytes"/> of stdout for <paramref name="turn"/>, the running turn (null: none, nothing
    /// is counted).</summary>
    /// <returns><see cref="Charge.Taken"/> while the turn is within its limit; <see cref="Charge.Exceeded"/> for the record that
    /// takes it past, once; <see cref="Charge.Refused"/> for every later record of that turn, which it must not take.</returns>
    public Charge Add(TurnContext? turn, long bytes)
    {
        Follow(turn);
        if (turn is null)
        {
            return Charge.Taken;
        }

        if (_exceeded)
        {
            return Charge.Refused;
        }

        _bytes += bytes;
        _exceeded = _bytes > maxTurnOutputBytes;
        return _exceeded ? Charge.Exceeded : Charge.Taken;
    }

    /// <summary>Counts a skipped line of <paramref name="turn"/>.</summary>
    /// <returns>The notice to emit for it (<paramref name="ownNotice"/> for one of the first <see cref="NoticedLines"/>, the count
    /// at a power of ten), or null.</returns>
    public AgentNotice? Skipped(TurnContext? turn, Func<AgentNotice> ownNotice)
    {
        Follow(turn);
        if (turn is null)
        {
            return null;
        }

        var count = ++_skipped;
        if (count <= NoticedLines)
        {
            return ownNotice();
        }

        return IsPowerOfTen(count)
            ? new AgentNotice("unparsable_line", string.Create(CultureInfo.InvariantCulture,
                $"{count} lines were skipped in this turn so far; after the first {NoticedLines}, they are counted at every power of ten."))
            : null;
    }

    private void Follow(TurnContext? turn)
    {
        if (!ReferenceEquals(turn, _turn))
        {
            (_turn, _bytes, _skipped, _exceeded) = (turn, 0, 0, false);
        }
    }

    private static bool IsPowerOfTen(long count)
    {
        while (count % 10 == 0)
        {
            count /= 10;
        }

        return count == 1;
    }

    public enum Charge
    {
        Taken,
        Exceeded,
        Refused,
    }
}

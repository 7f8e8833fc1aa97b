using System.Text;

namespace Workers.Processes;

/// <summary>The last few kilobytes an agent wrote to stderr during its current turn: kept for failure records, bounded so
/// a flooding agent costs nothing but the bytes read. A pooled process serves turns of many conversations, so the tail is
/// the turn's own (issue 12): each turn after the process's first starts it empty (<see cref="BeginTurn"/>), and what came
/// before (an earlier turn of another conversation, or the idle time between turns) is dropped. The first turn keeps the
/// process's start-up stderr, which no conversation wrote and which tells why a start failed.</summary>
public sealed class StderrTail(int capacityChars = 8192)
{
    private readonly Lock _lock = new();
    private readonly StringBuilder _tail = new();
    private long _totalBytes;
    private int _turnsBegun;

    /// <summary>All bytes the agent wrote to stderr so far.</summary>
    public long TotalBytes
    {
        get
        {
            lock (_lock)
            {
                return _totalBytes;
            }
        }
    }

    /// <summary>A turn starts on this process: from now on <see cref="Read"/> and <see cref="Summary"/> show only what the
    /// agent writes from here (but on the process's first turn, which keeps the start-up stderr).</summary>
    public void BeginTurn()
    {
        lock (_lock)
        {
            if (_turnsBegun++ > 0)
            {
                _tail.Clear();
            }
        }
    }

    internal void Append(string text, int bytes)
    {
        lock (_lock)
        {
            _totalBytes += bytes;
            _tail.Append(text);
            if (_tail.Length > capacityChars * 2)
            {
                // Trim in batches so a flood costs amortised O(1) per char.
                _tail.Remove(0, _tail.Length - capacityChars);
            }
        }
    }

    /// <summary>The last lines of stderr for a failure message: "stderr: a | b | c" (at most 500 characters), or that it was empty.</summary>
    public string Summary()
    {
        var tail = Read().Trim();
        if (tail.Length == 0)
        {
            return "stderr was empty.";
        }

        var lastLines = string.Join(" | ", tail.Split('\n').TakeLast(3).Select(l => l.Trim()));
        return $"stderr: {(lastLines.Length > 500 ? lastLines[^500..] : lastLines)}";
    }

    /// <summary>The most recent stderr text of the current turn, at most the capacity.</summary>
    public string Read()
    {
        lock (_lock)
        {
            var start = Math.Max(0, _tail.Length - capacityChars);
            return _tail.ToString(start, _tail.Length - start);
        }
    }
}

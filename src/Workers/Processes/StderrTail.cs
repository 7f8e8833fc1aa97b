using System.Text;

namespace Workers.Processes;

/// <summary>The last few kilobytes an agent wrote to stderr: kept for failure records, bounded so a
/// flooding agent costs nothing but the bytes read.</summary>
public sealed class StderrTail(int capacityChars = 8192)
{
    private readonly Lock _lock = new();
    private readonly StringBuilder _tail = new();
    private long _totalBytes;

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

    /// <summary>The most recent stderr text, at most the capacity.</summary>
    public string Read()
    {
        lock (_lock)
        {
            var start = Math.Max(0, _tail.Length - capacityChars);
            return _tail.ToString(start, _tail.Length - start);
        }
    }
}

using System.Threading.Channels;
using Workers.Running;
using Workers.Turns;

namespace Workers.Tests.Service.Scripted;

/// <summary>A turn runner the test controls: each call becomes a <see cref="ScriptedTurn"/> the test takes with
/// <see cref="NextAsync"/> and ends when it wants.</summary>
internal sealed class ScriptedTurnRunner(TimeProvider timeProvider) : ITurnRunner
{
    private readonly Channel<ScriptedTurn> _started = Channel.CreateUnbounded<ScriptedTurn>();
    private readonly Lock _lock = new();
    private readonly List<ScriptedTurn> _all = [];

    /// <summary>Plays agents slow to stop: turns started from now on run on when cancelled, until the test ends them.</summary>
    public bool TurnsEndWhenCancelled { get; set; } = true;

    /// <summary>Plays a cancel that lands before the runner's own cancel handling (the pooled runner's session lookup): turns
    /// started from now on throw <see cref="OperationCanceledException"/> when cancelled, instead of ending cancelled.</summary>
    public bool CancelThrows { get; set; }

    public int Calls
    {
        get
        {
            lock (_lock)
            {
                return _all.Count;
            }
        }
    }

    public Task<TurnResult> RunAsync(TurnRequest request, ITurnEventSink sink, CancellationToken cancellationToken, long firstSequence = 0)
    {
        var turn = new ScriptedTurn(request, sink, firstSequence, timeProvider, cancellationToken, TurnsEndWhenCancelled, CancelThrows);
        lock (_lock)
        {
            _all.Add(turn);
        }

        _started.Writer.TryWrite(turn);
        return turn.RunAsync();
    }

    /// <summary>The next turn the dispatcher hands the runner, in call order.</summary>
    public async Task<ScriptedTurn> NextAsync()
    {
        using var limit = Bounded.Limit();
        return await _started.Reader.ReadAsync(limit.Token);
    }

    /// <summary>Ends every turn still running (successfully), so a stopping dispatcher has nothing left to drain.</summary>
    public void SucceedAll()
    {
        lock (_lock)
        {
            foreach (var turn in _all.Where(t => !t.IsEnded))
            {
                turn.Succeed();
            }
        }
    }
}

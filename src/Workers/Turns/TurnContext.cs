using System.Text;
using Workers.Profiles;

namespace Workers.Turns;

/// <summary>One turn as a family driver sees it: what to send, where its events go, and its clock. Events
/// are numbered here, in the order drivers emit them.</summary>
public sealed class TurnContext
{
    private readonly Lock _lock = new();
    private readonly StringBuilder _text = new();
    private readonly ITurnEventSink _sink;
    private readonly TaskCompletionSource _firstToken = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _hasToolUse;
    private long _sequence;
    private bool _hasOutput;
    private Task<bool>? _toolUseCommitted;

    public TurnContext(string turnId, string prompt, string workingDirectory, TurnClock clock, ITurnEventSink sink,
        PermissionPolicy permissions, long firstSequence = 0)
    {
        TurnId = turnId;
        Prompt = prompt;
        WorkingDirectory = workingDirectory;
        Clock = clock;
        Permissions = permissions;
        _sink = sink;
        _sequence = firstSequence;
    }

    public string TurnId { get; }

    /// <summary>The text sent to the agent (the producer's prompt, with the transcript when replayed).</summary>
    public string Prompt { get; set; }

    public string WorkingDirectory { get; }

    public TurnClock Clock { get; }

    public PermissionPolicy Permissions { get; }

    /// <summary>Completes at the first non-empty model text.</summary>
    public Task FirstToken => _firstToken.Task;

    /// <summary>The last sequence number given out.</summary>
    public long LastSequence
    {
        get
        {
            lock (_lock)
            {
                return _sequence;
            }
        }
    }

    /// <summary>True once anything of the model's answer (text, thought, tool call) reached the producer: from
    /// then on the turn cannot be retried on another process without showing the producer a repeat.</summary>
    public bool HasOutput
    {
        get
        {
            lock (_lock)
            {
                return _hasOutput;
            }
        }
    }

    /// <summary>True once the agent made a tool call, asked permission for one, or asked to run one
    /// (<see cref="CommitToolUseAsync"/>): from then on a rerun of the turn could repeat what the tool did, so a process lost
    /// after it is not retried (<c>specs/pool.md</c>, "Retry after text").</summary>
    public bool HasToolUse
    {
        get
        {
            lock (_lock)
            {
                return _hasToolUse;
            }
        }
    }

    /// <summary>All model text so far.</summary>
    public string Text
    {
        get
        {
            lock (_lock)
            {
                return _text.ToString();
            }
        }
    }

    /// <summary>Numbers and delivers one event. The first tool call also starts committing the tool use
    /// (<see cref="CommitToolUseAsync"/>): an agent that runs its tools without asking cannot be held, so the point is
    /// recorded as soon as it is seen.</summary>
    public void Emit(TurnEvent turnEvent)
    {
        lock (_lock)
        {
            if (turnEvent is TextDelta or ThoughtDelta or ToolCallEvent or PermissionRequested)
            {
                _hasOutput = true;
            }

            _hasToolUse |= turnEvent is ToolCallEvent or PermissionRequested;

            _sink.OnEvent(turnEvent.Numbered(++_sequence));
            if (turnEvent is ToolCallEvent)
            {
                _toolUseCommitted ??= _sink.CommitToolUseAsync();
            }
        }
    }

    /// <summary>Completes true once this turn's first tool use is recorded where a lost worker's next claim sees it
    /// (<see cref="ITurnEventSink.CommitToolUseAsync"/>); false when it could not be, and the tool must be refused. A
    /// family awaits it before it lets the agent run a tool: before it answers a permission request with allow, before
    /// it serves a write the agent asked of it.</summary>
    public Task<bool> CommitToolUseAsync()
    {
        lock (_lock)
        {
            // A tool about to run is a tool use even when no event announced it (an ACP fs write): no rerun after it.
            _hasToolUse = true;
            return _toolUseCommitted ??= _sink.CommitToolUseAsync();
        }
    }

    /// <summary>Model text: the first non-empty piece is the first token.</summary>
    public void EmitText(string text)
    {
        if (text.Length == 0)
        {
            return;
        }

        Clock.MarkFirstToken();
        lock (_lock)
        {
            _text.Append(text);
            Emit(new TextDelta(text));
        }

        _firstToken.TrySetResult();
    }
}

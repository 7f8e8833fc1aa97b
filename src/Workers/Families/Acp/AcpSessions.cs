using System.Text.Json;
using StreamJsonRpc;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Families.Acp;

/// <summary>The sessions of one ACP agent process, as primitives: readiness (<c>initialize</c> and the capabilities it
/// advertises), open a new session, pre-open one and take it, resume one (<c>session/resume</c> or <c>session/load</c>, as
/// <c>Resume</c> and the capabilities allow; a rejection recognised as stale), close one. Apart from the prompt
/// (<see cref="AcpPromptTurn"/>) because a session outlives its turns and is settled before one runs; which primitive
/// serves a turn is the session rung's choice (<c>Pooling/Ladder/SessionRung.cs</c>).</summary>
internal sealed class AcpSessions(AcpRpcChannel channel, AgentProfile profile, Action markBroken)
{
    private const int ProtocolVersion = 1;

    private PreopenedSession? _preopened;

    /// <summary>What the agent advertised, once <see cref="AcceptInitialize"/> took its answer.</summary>
    public AcpAgentCapabilities? Capabilities { get; private set; }

    /// <summary>The readiness probe: the agent answers <c>initialize</c> once it can take sessions.</summary>
    public Task<JsonElement> InitializeAsync() => channel.RequestAsync("initialize", new
    {
        protocolVersion = ProtocolVersion,
        clientCapabilities = new
        {
            fs = new { readTextFile = profile.ClientFileSystem, writeTextFile = profile.ClientFileSystem },
            terminal = false,
        },
        clientInfo = new { name = "workers", title = "Workers", version = typeof(AcpSessions).Assembly.GetName().Version?.ToString() ?? "1" },
    }, CancellationToken.None);

    /// <summary>Takes the <c>initialize</c> answer: another protocol version breaks the process.</summary>
    /// <exception cref="TurnFailedException"><c>protocol_error</c>: the agent speaks another ACP version.</exception>
    public AcpAgentCapabilities AcceptInitialize(JsonElement answer)
    {
        if (answer.Long("protocolVersion") is { } version && version != ProtocolVersion)
        {
            markBroken();
            throw new TurnFailedException(FailureReasons.ProtocolError, $"The agent speaks ACP version {version}; Workers speaks {ProtocolVersion}.")
            {
                BeforeOutput = true,
            };
        }

        return Capabilities = AcpAgentCapabilities.Parse(answer);
    }

    /// <summary><c>session/new</c> in <paramref name="workingDirectory"/>, with the profile's <c>Model</c>: the new session's id.</summary>
    public async Task<string> OpenNewAsync(string workingDirectory, CancellationToken cancellationToken)
    {
        var result = await channel.RequestAsync("session/new", new { cwd = workingDirectory, mcpServers = Array.Empty<object>() }, cancellationToken);
        if (result.Str("sessionId") is not { } sessionId)
        {
            markBroken();
            throw new TurnFailedException(FailureReasons.ProtocolError, "session/new answered without a sessionId.")
            {
                BeforeOutput = true,
            };
        }

        await AcpModelChoice.ApplyAsync(channel, sessionId, profile.Model, result, cancellationToken);
        return sessionId;
    }

    /// <summary>Opens a session ahead of demand, for the next turn without a session that asks for this directory. A
    /// session pre-opened before it and never taken is closed: the agent would hold it (claude-agent-acp: a Claude Code
    /// child of ~200 MB) for nothing.</summary>
    public async Task PreopenAsync(string workingDirectory, CancellationToken cancellationToken)
    {
        var opened = new PreopenedSession(await OpenNewAsync(workingDirectory, cancellationToken), workingDirectory);
        if (Interlocked.Exchange(ref _preopened, opened) is { } replaced)
        {
            Close(replaced.SessionId);
        }
    }

    /// <summary>The pre-opened session waiting for a turn, if any.</summary>
    public HeldSession? Preopened => _preopened is { } preopened ? new HeldSession(preopened.SessionId, preopened.WorkingDirectory, StartKinds.Prewarmed) : null;

    /// <summary>True when <c>Resume</c> and the agent's capabilities allow a method that resumes a session on this process.</summary>
    public bool CanResume => Capabilities is { } capabilities && ResumeMethod(profile.Resume, capabilities) is not null;

    /// <summary>The pre-opened session, if it was opened for <paramref name="workingDirectory"/>; it is handed out once.</summary>
    public string? TakePreopened(string workingDirectory)
    {
        if (_preopened is not { } preopened || preopened.WorkingDirectory != workingDirectory)
        {
            return null;
        }

        return Interlocked.CompareExchange(ref _preopened, null, preopened) == preopened ? preopened.SessionId : null;
    }

    /// <summary>Brings <paramref name="sessionId"/> back in <paramref name="workingDirectory"/>; false when
    /// <c>Resume</c> and the agent's capabilities allow no method.</summary>
    /// <exception cref="StaleSessionException">The agent does not know the session.</exception>
    public async Task<bool> TryResumeAsync(string sessionId, string workingDirectory, CancellationToken cancellationToken)
    {
        if (ResumeMethod(profile.Resume, Capabilities!) is not { } method)
        {
            return false;
        }

        JsonElement result;
        try
        {
            result = await channel.RequestAsync(method, new { sessionId, cwd = workingDirectory, mcpServers = Array.Empty<object>() },
                cancellationToken);
        }
        catch (TurnFailedException ex) when (ex.InnerException is RemoteInvocationException remote && IsStale(remote))
        {
            throw new StaleSessionException(sessionId, $"The agent rejected {method} of session {sessionId}: {remote.Message}");
        }

        await AcpModelChoice.ApplyAsync(channel, sessionId, profile.Model, result, cancellationToken);
        return true;
    }

    /// <summary>Frees <paramref name="sessionId"/> in the agent, when it advertised <c>close</c>; it stays resumable. Not
    /// waited for: the session it leaves matters no more to the turn that takes the process.</summary>
    public void Close(string sessionId) => _ = CloseAsync(sessionId);

    /// <summary>Before the process stops: closes <paramref name="live"/> and the pre-opened session, when the agent advertised
    /// <c>close</c>, and waits for the answers (or <paramref name="cancellationToken"/>), so that the agent frees them in
    /// its own order (claude-agent-acp ends each session's Claude Code child) rather than by a signal.</summary>
    public Task CloseAllAsync(string? live, CancellationToken cancellationToken)
    {
        var sessions = new[] { live, Interlocked.Exchange(ref _preopened, null)?.SessionId }.OfType<string>().Distinct().ToList();
        return Task.WhenAll(sessions.Select(CloseAsync)).WaitAsync(cancellationToken);
    }

    /// <summary>The method that resumes a session under <paramref name="mode"/>, if the agent offers one.</summary>
    public static string? ResumeMethod(ResumeMode mode, AcpAgentCapabilities capabilities) => mode switch
    {
        // `session/resume` skips the history replay that `session/load` pays for (~0.9 s on claude-code-acp 0.16).
        ResumeMode.Auto when capabilities.ResumeSession => "session/resume",
        ResumeMode.Auto when capabilities.LoadSession => "session/load",
        ResumeMode.Resume when capabilities.ResumeSession => "session/resume",
        ResumeMode.Load when capabilities.LoadSession => "session/load",
        _ => null,
    };

    /// <summary>An error answer to a resume that means the agent does not know the session: ACP's resource-not-found,
    /// the stale wording of any CLI, or claude-code-acp 0.16's answer when its Claude Code exits on an unknown session.</summary>
    public static bool IsStale(RemoteInvocationException answer) =>
        answer.ErrorCode == StaleSessionPatterns.AcpResourceNotFound || StaleSessionPatterns.IsStale(AcpJsonRpc.Describe(answer))
        || AcpJsonRpc.IsClosedDuringResume(answer);

    /// <summary><c>session/close</c> is a request; its answer (or error) does not matter to the turn.</summary>
    private async Task CloseAsync(string sessionId)
    {
        if (Capabilities?.CloseSession != true)
        {
            return;
        }

        try
        {
            await channel.SendAsync("session/close", new { sessionId });
        }
        catch (Exception ex)
            when (ex is RemoteRpcException or ConnectionLostException or ObjectDisposedException or InvalidOperationException)
        {
            // The agent keeps the session in memory a while longer; it stays resumable either way.
        }
    }

    private sealed record PreopenedSession(string SessionId, string WorkingDirectory);
}

using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>
/// Routes ACP messages read from stdin. Requests run concurrently with reading, so a <c>session/cancel</c> or a permission
/// answer is seen while a prompt is still running; notifications and responses are handled on the stdin thread.
/// </summary>
internal sealed class AcpAgent(SimSettings settings, AcpConnection connection, SessionStore store)
{
    private readonly ConcurrentDictionary<string, AcpSession> _open = new(StringComparer.Ordinal);

    public void OnLine(string line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        // Like the ACP SDKs: an unparsable line is logged and skipped, not fatal.
        if (JsonRead.ParseObject(line) is not { } message)
        {
            Diagnostics.Note($"skipping a line that is not a JSON object: {line}");
            return;
        }

        var id = message["id"];
        var method = JsonRead.String(message["method"]);
        var parameters = JsonRead.Object(message["params"]) ?? [];
        if (method is null)
        {
            if (id is not null)
            {
                connection.CompleteReply(message);
            }

            return;
        }

        AcpRequestLog.Append(settings, method, parameters);
        if (id is null)
        {
            OnNotification(method, parameters);
            return;
        }

        // A prompt joins its session's cancellation set here, on the stdin thread, so that a session/cancel read right
        // after it reaches it even if its task has not started yet.
        var prompt = method == "session/prompt" && _open.TryGetValue(SessionIdOf(parameters), out var session)
            ? (session, session.Prompts.Begin())
            : default((AcpSession Session, CancellationTokenSource Cancellation)?);
        var requestId = id.DeepClone();
        if (method == "initialize")
        {
            connection.InitializeId ??= id.DeepClone();
        }

        _ = Task.Run(() => RespondAsync(requestId, method, parameters, prompt));
    }

    private void OnNotification(string method, JsonObject parameters)
    {
        if (method == "session/cancel" && _open.TryGetValue(SessionIdOf(parameters), out var session))
        {
            session.Prompts.CancelAll();
        }
    }

    private async Task RespondAsync(
        JsonNode id, string method, JsonObject parameters, (AcpSession Session, CancellationTokenSource Cancellation)? prompt)
    {
        AcpReply reply;
        try
        {
            reply = method switch
            {
                "initialize" => new AcpReply(AcpMessages.InitializeResult(settings)),
                "session/new" => await NewSessionAsync(parameters),
                "session/load" => await LoadSessionAsync(parameters),
                "session/resume" => await ResumeSessionAsync(parameters),
                "session/list" => ListSessions(parameters),
                "session/close" when settings.CloseSession => CloseSession(parameters),
                "session/set_mode" => SetMode(parameters),
                "session/set_config_option" => SetConfigOption(parameters),
                "session/prompt" when prompt is var (session, cancellation) =>
                    await new AcpPrompt(settings, connection, store, session).RunAsync(parameters, cancellation.Token),
                "session/prompt" => throw AcpException.SessionNotFound(),
                _ => throw AcpException.MethodNotFound(),
            };
        }
        catch (AcpException e)
        {
            reply = new AcpReply(null, e);
        }
        catch (Exception e)
        {
            Diagnostics.Note($"{method} failed: {e}");
            reply = new AcpReply(null, AcpException.Internal(e.Message));
        }
        finally
        {
            if (prompt is var (session, cancellation))
            {
                session.Prompts.End(cancellation);
            }
        }

        connection.Reply(id, reply);
        reply.After?.Invoke();
    }

    private async Task<AcpReply> NewSessionAsync(JsonObject parameters)
    {
        var stored = store.Create(Guid.NewGuid().ToString(), AbsoluteCwd(parameters));
        await SimDelay.MsAsync(settings.SessionNewMs, CancellationToken.None);
        await StageGate.PassAsync(settings.Faults, FaultStage.SessionInit);
        _open.TryAdd(stored.Id, new AcpSession(stored));
        AcpRequestLog.Opened(settings, stored.Id);
        return new AcpReply(AcpMessages.SessionResult(stored.Id, AcpModelOption.Default), After: () => AdvertiseCommands(stored.Id));
    }

    /// <summary>Opens a stored session and replays its history as updates, all before the answer, as ACP requires.</summary>
    private async Task<AcpReply> LoadSessionAsync(JsonObject parameters)
    {
        if (!settings.LoadSession)
        {
            throw AcpException.MethodNotFound();
        }

        var session = await ReopenAsync(parameters);
        foreach (var message in session.Stored.Messages.ToArray())
        {
            var kind = message.Role == "user" ? "user_message_chunk" : "agent_message_chunk";
            connection.Update(session.Stored.Id, AcpMessages.Chunk(kind, message.Text));
        }

        return new AcpReply(ReopenAtDefaultModel(session), After: () => AdvertiseCommands(session.Stored.Id));
    }

    /// <summary>Opens a stored session without replay, as <c>session/resume</c> must.</summary>
    private async Task<AcpReply> ResumeSessionAsync(JsonObject parameters)
    {
        if (!settings.ResumeSession)
        {
            throw AcpException.MethodNotFound();
        }

        var session = await ReopenAsync(parameters);
        return new AcpReply(ReopenAtDefaultModel(session), After: () => AdvertiseCommands(session.Stored.Id));
    }

    private async Task<AcpSession> ReopenAsync(JsonObject parameters)
    {
        var id = SessionIdOf(parameters);
        AbsoluteCwd(parameters);
        var stored = settings.Faults.Has(FaultKind.UnknownSession) ? null : store.TryLoad(id);
        if (stored is null)
        {
            throw AcpException.ResourceNotFound(id);
        }

        await SimDelay.MsAsync(settings.SessionLoadMs, CancellationToken.None);
        await StageGate.PassAsync(settings.Faults, FaultStage.SessionInit);

        // A session already open here keeps its live state (and any prompt running on it).
        return _open.GetOrAdd(id, _ => new AcpSession(stored));
    }

    private AcpReply ListSessions(JsonObject parameters)
    {
        var cwd = JsonRead.String(parameters["cwd"]);
        var sessions = new JsonArray();
        foreach (var (session, updated) in store.List())
        {
            if (cwd is null || session.Cwd == cwd)
            {
                sessions.Add(new JsonObject
                {
                    ["sessionId"] = session.Id,
                    ["cwd"] = session.Cwd,
                    ["updatedAt"] = updated.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                });
            }
        }

        return new AcpReply(new JsonObject { ["sessions"] = sessions });
    }

    // Closing is idempotent: a session that is not open here is already closed.
    private AcpReply CloseSession(JsonObject parameters)
    {
        if (_open.TryRemove(SessionIdOf(parameters), out var session))
        {
            session.Prompts.CancelAll();
        }

        return new AcpReply(new JsonObject());
    }

    /// <summary>A reopened session is back at the default model, as in claude-agent-acp: the host sets it again.</summary>
    private static JsonObject ReopenAtDefaultModel(AcpSession session)
    {
        session.Model = AcpModelOption.Default;
        return AcpMessages.SessionResult(null, session.Model);
    }

    private AcpReply SetConfigOption(JsonObject parameters)
    {
        if (!_open.TryGetValue(SessionIdOf(parameters), out var session))
        {
            throw AcpException.SessionNotFound();
        }

        var configId = JsonRead.String(parameters["configId"]);
        var value = JsonRead.String(parameters["value"]);
        if (configId != AcpModelOption.Id || value is null || !AcpModelOption.IsKnown(value))
        {
            throw AcpException.InvalidParams($"Invalid value for config option {configId}: {value}");
        }

        session.Model = value;
        return new AcpReply(new JsonObject { ["configOptions"] = AcpModelOption.ConfigOptions(value) });
    }

    private AcpReply SetMode(JsonObject parameters)
    {
        if (!_open.ContainsKey(SessionIdOf(parameters)))
        {
            throw AcpException.SessionNotFound();
        }

        return JsonRead.String(parameters["modeId"]) == "default"
            ? new AcpReply(new JsonObject())
            : throw AcpException.InvalidParams("the only mode is \"default\"");
    }

    private void AdvertiseCommands(string sessionId) => connection.Update(sessionId, AcpMessages.AvailableCommands());

    private static string SessionIdOf(JsonObject parameters) => JsonRead.String(parameters["sessionId"]) ?? string.Empty;

    private static string AbsoluteCwd(JsonObject parameters) =>
        JsonRead.String(parameters["cwd"]) is { } cwd && Path.IsPathFullyQualified(cwd)
            ? cwd
            : throw AcpException.InvalidParams("cwd must be an absolute path");
}

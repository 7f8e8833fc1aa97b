using System.Text.Json;
using Workers.Turns;

namespace Workers.Families.Acp;

/// <summary>A profile's <c>Model</c> on an ACP session. ACP v1 offers it as a session config option of category
/// <c>model</c>, set with <c>session/set_config_option</c>; <c>session/set_model</c> left the spec and is used only with an
/// agent that offers no config options but the older <c>models</c> list. It is applied to every session a turn or a
/// pre-open gets (new, resumed, loaded), because an agent may reopen a session at its default model: claude-agent-acp
/// 0.23 does, so a model set before a resume would be lost without a word.</summary>
internal static class AcpModelChoice
{
    /// <summary>Sets <paramref name="model"/> on <paramref name="sessionId"/>, unless the session's answer shows it already.</summary>
    /// <param name="channel">The agent.</param>
    /// <param name="sessionId">The session just opened, resumed or loaded.</param>
    /// <param name="model">The profile's <c>Model</c>; nothing is sent without one.</param>
    /// <param name="sessionAnswer">The agent's answer that opened the session, with its <c>configOptions</c>.</param>
    /// <param name="cancellationToken">The turn's (or the start's) cancellation.</param>
    /// <exception cref="TurnFailedException"><c>agent_error</c>: the agent refused the model, or offers no way to choose one.</exception>
    public static async Task ApplyAsync(AcpRpcChannel channel, string sessionId, string? model, JsonElement sessionAnswer,
        CancellationToken cancellationToken)
    {
        if (model is not { Length: > 0 })
        {
            return;
        }

        if (ModelOption(sessionAnswer) is { } option)
        {
            if (option.Str("currentValue") != model)
            {
                await channel.RequestAsync("session/set_config_option", new { sessionId, configId = option.Str("id"), value = model },
                    cancellationToken);
            }

            return;
        }

        if (sessionAnswer.Obj("models") is not null)
        {
            await channel.RequestAsync("session/set_model", new { sessionId, modelId = model }, cancellationToken);
            return;
        }

        throw new TurnFailedException(FailureReasons.AgentError,
            $"The profile's Model '{model}' cannot be applied: the agent offers no model option for session {sessionId}.")
        {
            BeforeOutput = true,
        };
    }

    /// <summary>The config option of category <c>model</c> (ACP's reserved category), else one with the id <c>model</c>.</summary>
    private static JsonElement? ModelOption(JsonElement sessionAnswer)
    {
        var options = sessionAnswer.Array("configOptions").Where(o => o.Str("id") is not null).Cast<JsonElement?>().ToList();
        return options.FirstOrDefault(o => o!.Value.Str("category") == "model") ?? options.FirstOrDefault(o => o!.Value.Str("id") == "model");
    }
}

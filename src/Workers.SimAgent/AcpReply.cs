using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>A handler's answer to one request.</summary>
/// <param name="Result">The result, when the request succeeded.</param>
/// <param name="Error">The error, when it failed.</param>
/// <param name="After">Work that must follow the answer on the wire (a notification the agent sends next, or an injected exit).</param>
internal sealed record AcpReply(JsonNode? Result, AcpException? Error = null, Action? After = null);

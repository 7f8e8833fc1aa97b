using System.Text.Json;

namespace Workers.Families.Acp;

/// <summary>Whether StreamJsonRpc can read a JSON object as a JSON-RPC message. It drops its whole connection on one it
/// cannot (no method, result or error; a method that is not a string; an id that is neither a string, a 64-bit integer nor
/// null, such as <c>1.5</c>, <c>1e3</c>, <c>{}</c> or 2^64; params that are neither an object nor an array; an error that is
/// not an object with an integer code and a message), so one such line from the agent would end every later turn on the
/// process. The stdout filter skips such a line with a notice instead, as it does a line that is no JSON object
/// (<c>specs/security.md</c>, "Hostile agents").</summary>
internal static class AcpEnvelope
{
    /// <returns>Null when the message can go on to StreamJsonRpc; else what is wrong with it, for the notice.</returns>
    public static string? Problem(JsonElement message)
    {
        if (message.TryGetProperty("id", out var id) && !IsReadableId(id))
        {
            return "a JSON-RPC message: its id is neither a string, a 64-bit integer nor null";
        }

        if (message.TryGetProperty("method", out var method))
        {
            if (method.ValueKind != JsonValueKind.String)
            {
                return "a JSON-RPC message: its method is not a string";
            }

            return message.TryGetProperty("params", out var parameters)
                && parameters.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Null)
                ? "a JSON-RPC message: its params are neither an object nor an array"
                : null;
        }

        if (message.TryGetProperty("error", out var error))
        {
            return error.ValueKind == JsonValueKind.Object && error.TryGetProperty("code", out var code) && IsInteger(code)
                && error.TryGetProperty("message", out var text) && text.ValueKind is JsonValueKind.String or JsonValueKind.Null
                ? null
                : "a JSON-RPC message: its error is not an object with an integer code and a message";
        }

        return message.TryGetProperty("result", out _) ? null : "a JSON-RPC message: it has no method, result or error";
    }

    /// <summary>An id StreamJsonRpc reads: a string, an integer that fits 64 bits (no fraction, no exponent), or null.</summary>
    public static bool IsReadableId(JsonElement id) => id.ValueKind switch
    {
        JsonValueKind.String or JsonValueKind.Null => true,
        JsonValueKind.Number => IsInteger(id),
        _ => false,
    };

    /// <summary>A number written as an integer (no fraction, no exponent) that fits 64 bits.</summary>
    private static bool IsInteger(JsonElement number) =>
        number.ValueKind == JsonValueKind.Number && number.TryGetInt64(out _) && !number.GetRawText().AsSpan().ContainsAny('e', 'E');
}

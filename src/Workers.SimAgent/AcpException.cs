using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>A JSON-RPC error answer, thrown by a handler and written by the dispatcher.</summary>
internal sealed class AcpException : Exception
{
    public AcpException(int code, string message, JsonNode? errorData = null)
        : base(message)
    {
        Code = code;
        ErrorData = errorData;
    }

    public int Code { get; }

    public JsonNode? ErrorData { get; }

    public static AcpException MethodNotFound() => new(-32601, "Method not found");

    public static AcpException InvalidParams(string details) => new(-32602, "Invalid params", new JsonObject { ["details"] = details });

    public static AcpException SessionNotFound() => new(-32602, "Session not found");

    public static AcpException ResourceNotFound(string sessionId) =>
        new(-32002, "Resource not found", new JsonObject { ["sessionId"] = sessionId });

    public static AcpException ForModelError(ModelErrorKind error) => error switch
    {
        ModelErrorKind.Auth => new(-32000, "Authentication required"),
        ModelErrorKind.RateLimit => Internal("API Error: 429 rate_limit_error"),
        _ => Internal("API Error: 500 Internal server error"),
    };

    public static AcpException Internal(string details) => new(-32603, "Internal error", new JsonObject { ["details"] = details });

    public JsonObject ToJson()
    {
        var error = new JsonObject { ["code"] = Code, ["message"] = Message };
        if (ErrorData is not null)
        {
            error["data"] = ErrorData.DeepClone();
        }

        return error;
    }
}

using System.Text.Json;
using Workers.Turns;

namespace Workers.Families;

/// <summary>What <see cref="StdoutFilter"/> hands its records to: the connection of the agent process.</summary>
internal interface IStdoutHandler
{
    /// <summary>The running turn, if any: notices about skipped lines go to it.</summary>
    TurnContext? ActiveTurn { get; }

    /// <summary>One line that is exactly one JSON object, in stdout order: parsed, and as its UTF-8 text. Both are valid
    /// only until the returned task completes; the next line is not taken before.</summary>
    ValueTask OnObjectAsync(JsonElement message, ReadOnlyMemory<byte> utf8);

    /// <summary>Why a JSON object cannot be taken by the family at all, as "a …" for the notice ("Skipped a line that is not
    /// a …"); null when it can. ACP: a message StreamJsonRpc could not read, which would end its connection.</summary>
    string? Unacceptable(JsonElement message);

    /// <summary>A raw chunk of stdout (chunk framing only).</summary>
    void OnChunk(string text);

    /// <summary>The output broke the protocol: the process gets no further turn, and the running turn fails as
    /// <c>protocol_error</c> with <paramref name="message"/>.</summary>
    void FailTurnAsBroken(string message);
}

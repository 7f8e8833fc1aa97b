using System.Buffers;
using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using Workers.Turns;

namespace Workers.Serialization;

/// <summary>A turn event as the JSON the store keeps and every SSE reader is sent (<see cref="WorkersJson"/>, the type's
/// discriminator first), and its type's name. Written once per event on the agent's reader, so it goes straight from the
/// serializer into a buffer kept by the thread, and from there into the one string the event is kept as.</summary>
internal static class TurnEventJson
{
    /// <summary>A buffer that grew past this for a large event (a turn's whole text) is let go after it, not kept.</summary>
    private const int KeptBufferBytes = 64 * 1024;

    /// <summary>Each event type's name on the wire, from the same polymorphism options that write it.</summary>
    private static readonly FrozenDictionary<Type, string> TypeNames = WorkersJson.Options.GetTypeInfo(typeof(TurnEvent))
        .PolymorphismOptions!.DerivedTypes.ToFrozenDictionary(d => d.DerivedType, d => (string)d.TypeDiscriminator!);

    /// <summary>What the serializer gives the writer it makes itself (its options' escaping, layout and depth, 64 when left
    /// at 0; no validation of what it writes): writing into a writer of ours, it takes all of these from the writer, not
    /// from its options.</summary>
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = WorkersJson.Options.Encoder,
        Indented = WorkersJson.Options.WriteIndented,
        MaxDepth = WorkersJson.Options.MaxDepth == 0 ? 64 : WorkersJson.Options.MaxDepth,
        SkipValidation = true,
    };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>The name <paramref name="turnEvent"/>'s JSON carries as its <c>type</c>.</summary>
    public static string TypeName(TurnEvent turnEvent) => TypeNames[turnEvent.GetType()];

    /// <summary><paramref name="turnEvent"/> as JSON text.</summary>
    public static string Write(TurnEvent turnEvent)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        try
        {
            JsonSerializer.Serialize(writer, turnEvent, WorkersJson.Options);
            writer.Flush();
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        finally
        {
            if (buffer.Capacity > KeptBufferBytes)
            {
                (t_buffer, t_writer) = (null, null);
            }
            else
            {
                // Whatever happened, the next event starts on an empty buffer and a writer with nothing pending.
                buffer.ResetWrittenCount();
                writer.Reset(buffer);
            }
        }
    }
}

using System.Buffers;
using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Workers.Serialization;

namespace Workers.Turns;

/// <summary>A turn event as the JSON the store keeps and every SSE reader is sent (<see cref="WorkersJson"/>, the type's
/// discriminator first), and its type's name. Written once per event on the agent's reader, so it goes straight from the
/// serializer into a buffer kept by the thread, and from there into the one string the event is kept as.</summary>
/// <remarks>Each event is written as its own type, with its discriminator added as its first property
/// (<see cref="AddTypeProperty"/>): the bytes of the polymorphic write through <see cref="TurnEvent"/>, without the frames
/// the serializer allocates for every polymorphic write (a few hundred bytes an event). <c>TurnEventJsonTests</c> holds the
/// two byte-identical for every event type.</remarks>
internal static class TurnEventJson
{
    /// <summary>A buffer that grew past this for a large event (a turn's whole text) is let go after it, not kept.</summary>
    private const int KeptBufferBytes = 64 * 1024;

    /// <summary>Each event type's name on the wire, from the same polymorphism options that write it.</summary>
    private static readonly FrozenDictionary<Type, string> TypeNames = WorkersJson.Options.GetTypeInfo(typeof(TurnEvent))
        .PolymorphismOptions!.DerivedTypes.ToFrozenDictionary(d => d.DerivedType, d => (string)d.TypeDiscriminator!);

    /// <summary><see cref="WorkersJson.Options"/>, with each event type's discriminator as a property of its own.</summary>
    private static readonly JsonSerializerOptions ConcreteOptions = CreateConcreteOptions();

    private static readonly FrozenDictionary<Type, JsonTypeInfo> ConcreteTypes =
        TypeNames.Keys.ToFrozenDictionary(type => type, ConcreteOptions.GetTypeInfo);

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
    private static ArrayBufferWriter<byte>? _threadBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? _threadWriter;

    /// <summary>The name <paramref name="turnEvent"/>'s JSON carries as its <c>type</c>.</summary>
    public static string TypeName(TurnEvent turnEvent) => TypeNames[turnEvent.GetType()];

    /// <summary><paramref name="turnEvent"/> as JSON text.</summary>
    public static string Write(TurnEvent turnEvent)
    {
        var buffer = _threadBuffer ??= new ArrayBufferWriter<byte>(1024);
        var writer = _threadWriter ??= new Utf8JsonWriter(buffer, WriterOptions);
        try
        {
            JsonSerializer.Serialize(writer, turnEvent, ConcreteTypes[turnEvent.GetType()]);
            writer.Flush();
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        finally
        {
            if (buffer.Capacity > KeptBufferBytes)
            {
                (_threadBuffer, _threadWriter) = (null, null);
            }
            else
            {
                // Whatever happened, the next event starts on an empty buffer and a writer with nothing pending.
                buffer.ResetWrittenCount();
                writer.Reset(buffer);
            }
        }
    }

    private static JsonSerializerOptions CreateConcreteOptions()
    {
        var options = new JsonSerializerOptions(WorkersJson.Options)
        {
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { AddTypeProperty } },
        };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>Gives an event type the <c>type</c> property that the polymorphic write puts first.</summary>
    private static void AddTypeProperty(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Kind == JsonTypeInfoKind.Object && TypeNames.TryGetValue(typeInfo.Type, out var name))
        {
            var property = typeInfo.CreateJsonPropertyInfo(typeof(string), "type");
            property.Get = _ => name;
            typeInfo.Properties.Insert(0, property);
        }
    }
}

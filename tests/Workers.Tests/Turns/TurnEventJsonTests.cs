using System.Text.Json;
using Workers.Serialization;
using Workers.Turns;

namespace Workers.Tests.Turns;

/// <summary>The JSON of a turn event is what the store keeps and readers are sent: it must be what the serializer writes with
/// <see cref="WorkersJson.Options"/> on its own, byte for byte, and its type the discriminator that JSON carries.</summary>
public sealed class TurnEventJsonTests
{
    public static TheoryData<TurnEvent> Events()
    {
        using var input = JsonDocument.Parse("""{"path":"/tmp/é <b>&amp;</b> \"q\" \u00e9 😀","n":[1,2.50,-3e2],"deep":{"a":null}}""");
        return
        [
            new TextDelta(" streaming") { Sequence = 42 },
            new TextDelta("héllo \"quoted\" <tag> & + \u2028 \uFFFD 😀 \t\n\u0001") { Sequence = 7 },
            new ThoughtDelta("thinking…") { Sequence = 3 },
            new ToolCallEvent("toolu_1", "Bash", "execute", "pending", input.RootElement.Clone()) { Sequence = 4 },
            new ToolCallEvent("toolu_2", null, null, "completed", null) { Sequence = 5 },
            new PermissionRequested("toolu_1", "Bash", null) { Sequence = 6 },
            new PermissionAnswered("toolu_1", "allow", "allow_once") { Sequence = 8 },
            new UsageReported(1200, 35, null, 4) { Sequence = 9 },
            new SessionStarted("3f2b", "prewarmed", "warm", "first") { Sequence = 1 },
            new AgentNotice("unparsable_line", "Skipped a line that is not a JSON object: x") { Sequence = 10 },
            new AttemptStarted(2, null) { Sequence = 1_000_001 },
            new RetryStarted("process_exit_mid_stream", "The agent process exited.") { Sequence = 11 },
            new TurnCompleted(new string('x', 100_000) + "é", "end_turn") { Sequence = 12 },
            new TurnFailed("protocol_error", "The agent wrote a 5000-byte line.") { Sequence = 13 },
            new TurnCancelled(null) { Sequence = 14 },
        ];
    }

    [Theory]
    [MemberData(nameof(Events))]
    public void Write_IsWhatTheSerializerWritesOnItsOwn(TurnEvent turnEvent)
    {
        var expected = JsonSerializer.SerializeToElement(turnEvent, WorkersJson.Options);

        Assert.Equal(expected.GetRawText(), TurnEventJson.Write(turnEvent));
        Assert.Equal(expected.GetProperty("type").GetString(), TurnEventJson.TypeName(turnEvent));
    }

    [Fact]
    public void Events_CoverEveryEventType()
    {
        var derived = WorkersJson.Options.GetTypeInfo(typeof(TurnEvent)).PolymorphismOptions!.DerivedTypes.Select(d => d.DerivedType);

        Assert.Equal(derived.OrderBy(t => t.Name), Events().Select(row => row.Data.GetType()).Distinct().OrderBy(t => t.Name));
    }

    [Fact]
    public void Write_AfterALargeEvent_WritesTheNextOnItsOwn()
    {
        var large = new TurnCompleted(new string('y', 200_000), null) { Sequence = 1 };
        var small = new TextDelta("a") { Sequence = 2 };

        TurnEventJson.Write(large);
        TurnEventJson.Write(small);

        Assert.Equal("""{"type":"text_delta","text":"a","sequence":2}""", TurnEventJson.Write(small));
    }
}

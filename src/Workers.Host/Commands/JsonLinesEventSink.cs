using System.Text.Json;
using Workers.Serialization;
using Workers.Turns;

namespace Workers.Host.Commands;

/// <summary>Prints each turn event as one JSON line on stdout.</summary>
internal sealed class JsonLinesEventSink(TextWriter output) : ITurnEventSink
{
    private readonly Lock _lock = new();

    public void OnEvent(TurnEvent turnEvent)
    {
        var line = JsonSerializer.Serialize(turnEvent, WorkersJson.Options);
        lock (_lock)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }
}

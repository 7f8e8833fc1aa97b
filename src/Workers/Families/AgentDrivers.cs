using Workers.Families.Acp;
using Workers.Families.Claude;
using Workers.Families.JsonEventStream;
using Workers.Families.Plain;
using Workers.Profiles;

namespace Workers.Families;

/// <summary>The driver of each runtime family.</summary>
public sealed class AgentDrivers
{
    private readonly Dictionary<RuntimeFamily, IAgentDriver> _drivers;

    /// <summary>The drivers of the four families this build supports.</summary>
    public static IReadOnlyList<IAgentDriver> BuiltIn { get; } =
        [new ClaudeDriver(), new AcpDriver(), new JsonEventStreamDriver(), new PlainDriver()];

    public AgentDrivers(IEnumerable<IAgentDriver> drivers)
    {
        _drivers = drivers.ToDictionary(d => d.Family);
    }

    public IAgentDriver For(RuntimeFamily family) =>
        _drivers.TryGetValue(family, out var driver) ? driver : throw new InvalidOperationException($"No driver for family {family.ToName()}.");
}

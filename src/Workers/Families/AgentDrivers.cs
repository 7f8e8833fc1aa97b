using Workers.Families.Acp;
using Workers.Families.Claude;
using Workers.Families.JsonEventStream;
using Workers.Families.Plain;
using Workers.Profiles;

namespace Workers.Families;

/// <summary>The driver of each runtime family, by its name or an alias.</summary>
public sealed class AgentDrivers
{
    private readonly Dictionary<string, IAgentDriver> _drivers = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The drivers of the families this build supports: a new family adds its driver here.</summary>
    public static IReadOnlyList<IAgentDriver> BuiltIn { get; } =
        [new ClaudeDriver(), new AcpDriver(), new JsonEventStreamDriver(), new PlainDriver()];

    /// <summary>The names of the built-in families, for code that checks profiles without a service container.</summary>
    public static FamilyNames BuiltInNames { get; } = new AgentDrivers(BuiltIn).Names;

    public AgentDrivers(IEnumerable<IAgentDriver> drivers)
    {
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var driver in drivers)
        {
            foreach (var name in driver.Aliases.Prepend(driver.Family))
            {
                _drivers[name] = driver;
                names[name] = driver.Family;
            }
        }

        Names = new FamilyNames(names);
    }

    /// <summary>What the profiles may name as their <c>Family</c>.</summary>
    public FamilyNames Names { get; }

    public IAgentDriver For(string family) =>
        _drivers.TryGetValue(family, out var driver) ? driver : throw new InvalidOperationException($"No driver for family {family}.");
}

using NetArchTest.Rules;
using Workers.Pooling;

namespace Workers.Tests.Architecture;

/// <summary>The layers of <c>docs/architecture.md</c>, bottom first: a namespace may use the ones below it, never one
/// above. A reference upward fails here with the types that make it.</summary>
public sealed class LayeringTests
{
    /// <summary>Keep in step with the layer table of <c>docs/architecture.md</c>.</summary>
    public static readonly string[] Layers =
    [
        "Workers.Logging",
        "Workers.Serialization",
        "Workers.Processes",
        "Workers.Profiles",
        "Workers.Isolation",
        "Workers.Turns",
        "Workers.Families",
        "Workers.Pooling",
        "Workers.Sessions",
        "Workers.Store",
        "Workers.Metrics",
        "Workers.Tracing",
        "Workers.Running",
        "Workers.Service",
        "Workers.Maintenance",
        "Workers.Reports",
        "Workers.Api",
        "Workers.Hosting",
    ];

    public static TheoryData<string> LayerNames => [.. Layers];

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void Layer_UsesNoLayerAboveIt(string layer)
    {
        var above = Layers[(Array.IndexOf(Layers, layer) + 1)..];
        if (above.Length == 0)
        {
            return;
        }

        var types = Types.InAssembly(typeof(AgentPool).Assembly).That().ResideInNamespace(layer);
        Assert.NotEmpty(types.GetTypes());
        var result = types
            .ShouldNot().HaveDependencyOnAny(above)
            .GetResult();

        Assert.True(result.IsSuccessful, $"{layer} reaches up into {string.Join(", ", above)}: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void EveryNamespace_IsInALayer()
    {
        var namespaces = typeof(AgentPool).Assembly.GetTypes()
            .Select(t => t.Namespace)
            .Where(n => n is not null && n.StartsWith("Workers.", StringComparison.Ordinal))
            .Select(n => string.Join('.', n!.Split('.').Take(2)))
            .Distinct()
            .Order();

        Assert.All(namespaces, n => Assert.Contains(n, Layers));
    }

    [Fact]
    public void OnlyFamilies_KnowAFamily()
    {
        // A family's own types (its connection, its driver) live in a folder of Families/; the rest of the service sees
        // the family only through IAgentDriver, IAgentConnection and FamilyTraits.
        string[] families = ["Workers.Families.Acp", "Workers.Families.Claude", "Workers.Families.JsonEventStream", "Workers.Families.Plain"];
        var result = Types.InAssembly(typeof(AgentPool).Assembly)
            .That().DoNotResideInNamespace("Workers.Families")
            .ShouldNot().HaveDependencyOnAny(families)
            .GetResult();

        Assert.True(result.IsSuccessful, $"outside Families/: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }
}

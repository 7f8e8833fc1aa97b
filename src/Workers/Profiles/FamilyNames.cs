using System.Diagnostics.CodeAnalysis;

namespace Workers.Profiles;

/// <summary>The runtime family names the service answers to: each family's canonical name (the one in labels and
/// records) and the aliases that mean it. The drivers hand it down (<c>Families/AgentDrivers.cs</c>); profiles know no
/// driver.</summary>
public sealed class FamilyNames
{
    private readonly Dictionary<string, string> _canonicalByName;

    /// <param name="canonicalByName">Every accepted name, canonical ones included, to its canonical name.</param>
    public FamilyNames(IReadOnlyDictionary<string, string> canonicalByName)
    {
        _canonicalByName = new Dictionary<string, string>(canonicalByName, StringComparer.OrdinalIgnoreCase);
        Canonical = [.. _canonicalByName.Values.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The canonical names, in the order the drivers were given.</summary>
    public IReadOnlyList<string> Canonical { get; }

    public bool TryCanonical(string? name, [NotNullWhen(true)] out string? canonical) =>
        _canonicalByName.TryGetValue(name?.Trim() ?? "", out canonical);
}

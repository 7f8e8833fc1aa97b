namespace Workers.Profiles;

/// <summary>How agent permission requests are answered: nobody is at a keyboard, so every request gets a
/// decision from this policy at once instead of leaving the turn waiting.</summary>
public sealed class PermissionPolicy
{
    /// <summary>Tool names or ACP tool kinds always allowed (case-insensitive; <c>*</c> matches all).</summary>
    public List<string> Allow { get; set; } = [];

    /// <summary>Tool names or ACP tool kinds always denied; deny wins over allow.</summary>
    public List<string> Deny { get; set; } = [];

    /// <summary>The decision for a tool in neither list.</summary>
    /// <value>The default is <see cref="PermissionDecision.Deny"/>.</value>
    public PermissionDecision Default { get; set; } = PermissionDecision.Deny;

    /// <summary>Decides for one request; <paramref name="names"/> are the tool's name, kind and title as the agent gave them.</summary>
    public PermissionDecision Decide(params ReadOnlySpan<string?> names)
    {
        foreach (var name in names)
        {
            if (name is not null && Matches(Deny, name))
            {
                return PermissionDecision.Deny;
            }
        }

        foreach (var name in names)
        {
            if (name is not null && Matches(Allow, name))
            {
                return PermissionDecision.Allow;
            }
        }

        return Default;
    }

    private static bool Matches(List<string> patterns, string name) =>
        patterns.Exists(p => p == "*" || string.Equals(p, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>The answer to an agent's permission request.</summary>
public enum PermissionDecision
{
    Deny,
    Allow,
}

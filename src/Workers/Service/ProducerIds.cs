using System.Text.RegularExpressions;

namespace Workers.Service;

/// <summary>The one rule for ids a producer chooses (a turn's <c>id</c>, its <c>conversationId</c>): each is a path segment
/// of the API's URLs (<c>/v1/turns/{id}</c>, <c>/v1/conversations/{id}/turns</c>), so it may hold only characters that need
/// no escaping there and that no router, proxy or client rewrites. A <c>/</c>, a <c>.</c> or <c>..</c> segment, a space or a
/// <c>%</c> would make an accepted turn unreachable at its own <c>eventsUrl</c> (<c>specs/api.md</c>, "Ids").</summary>
public static partial class ProducerIds
{
    public const int MaxLength = 200;

    /// <summary>The rule in words, for the 400's message and the spec.</summary>
    public const string Rule = "1–200 characters of A–Z, a–z, 0–9, '.', '_', ':' and '-', the first a letter or digit";

    public static bool IsValid(string id) => Pattern().IsMatch(id);

    // \z, not $: $ would also match before a final newline. The first character excludes "." and ".." as well.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,199}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

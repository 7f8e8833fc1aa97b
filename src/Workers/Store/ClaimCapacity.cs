namespace Workers.Store;

/// <summary>How many turns a worker can start now (<see cref="ITurnStore.ClaimManyAsync"/>): at most <see cref="MaxTurns"/> in
/// all, and of each profile named in <see cref="Slots"/> at most its number (looked up with the dictionary's comparer; the
/// claimed turns are counted per profile ignoring case, as profile names are). A profile of the request that
/// <see cref="Slots"/> does not name is bounded by <see cref="MaxTurns"/> alone.</summary>
/// <param name="MaxTurns">Turns at most, whatever their profile; at least 1.</param>
/// <param name="Slots">Free slots per profile. Needs the request to list its profiles: a claim cannot leave one out of "any".</param>
public sealed record ClaimCapacity(int MaxTurns, IReadOnlyDictionary<string, int> Slots)
{
    /// <summary>Throws when this capacity cannot bound claims of <paramref name="request"/>.</summary>
    public void Validate(ClaimRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTurns, 1);
        if (request.Profiles is null && Slots.Count > 0)
        {
            throw new ArgumentException("Slots per profile need a request that lists its profiles.", nameof(request));
        }
    }

    /// <summary><paramref name="request"/> narrowed to the profiles that still have room after <paramref name="claimed"/>;
    /// null when nothing more may be claimed.</summary>
    public ClaimRequest? NextRequest(ClaimRequest request, IReadOnlyCollection<ClaimedTurn> claimed)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(claimed);
        if (claimed.Count >= MaxTurns)
        {
            return null;
        }

        if (request.Profiles is null)
        {
            return request;
        }

        var withRoom = request.Profiles.Where(profile => !Slots.TryGetValue(profile, out var slots)
                || claimed.Count(c => string.Equals(c.Turn.Profile, profile, StringComparison.OrdinalIgnoreCase)) < slots)
            .ToList();
        return withRoom.Count == 0 ? null : request with { Profiles = withRoom };
    }
}

namespace Workers.Store;

/// <summary>What <see cref="ITurnStore.ApplyRetentionAsync"/> deleted: how many turns, and the conversations it left with no
/// turn at all (their files go too, in conversation isolation: <c>specs/maintenance.md</c>, "Conversation files").</summary>
public sealed record RetentionResult(int Turns, IReadOnlyList<string> EmptiedConversations)
{
    public static RetentionResult None { get; } = new(0, []);
}

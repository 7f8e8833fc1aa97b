namespace Workers.Tests.Service.Scripted;

/// <summary>Bounded waits on state: the dispatcher works on the thread pool, so a test waits for what it does, never
/// for a time; a wait that does not end within <see cref="Unexpected"/> fails the test instead of hanging it.</summary>
internal static class Bounded
{
    /// <summary>Long enough for a loaded machine, short enough to fail a hung test quickly.</summary>
    public static readonly TimeSpan Unexpected = TimeSpan.FromSeconds(20);

    /// <summary>The test's token, cancelled after <see cref="Unexpected"/>.</summary>
    public static CancellationTokenSource Limit()
    {
        var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(Unexpected);
        return limit;
    }

    public static Task<T> WaitAsync<T>(Task<T> task) => task.WaitAsync(Unexpected, TestContext.Current.CancellationToken);

    public static Task WaitAsync(Task task) => task.WaitAsync(Unexpected, TestContext.Current.CancellationToken);

    public static Task UntilAsync(Func<bool> condition) => UntilAsync(() => Task.FromResult(condition()));

    public static async Task UntilAsync(Func<Task<bool>> condition)
    {
        using var limit = Limit();
        while (!await condition())
        {
            // Yield to the dispatcher's work on the thread pool instead of sleeping.
            limit.Token.ThrowIfCancellationRequested();
            await Task.Yield();
        }
    }
}

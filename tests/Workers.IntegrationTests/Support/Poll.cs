namespace Workers.IntegrationTests.Support;

/// <summary>Waiting on state, never on a sleep: polls a condition until it holds. A loaded machine only makes the wait
/// longer, never wrong; the bound is generous and only there so a broken test fails saying what it waited for instead
/// of hanging until the test's own timeout.</summary>
public static class Poll
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    /// <param name="condition">The state the test needs.</param>
    /// <param name="what">What is awaited, for the failure message ("the pool to drop process 123").</param>
    /// <param name="timeout">The bound; <see cref="DefaultTimeout"/> when null.</param>
    /// <param name="cancellationToken">The test's token when none is given.</param>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null, CancellationToken? cancellationToken = null) =>
        UntilAsync(_ => Task.FromResult(condition()), what, timeout, cancellationToken);

    /// <summary>The same for a condition that has to be fetched (an HTTP call).</summary>
    public static async Task UntilAsync(Func<CancellationToken, Task<bool>> condition, string what, TimeSpan? timeout = null,
        CancellationToken? cancellationToken = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var token = cancellationToken ?? TestContext.Current.CancellationToken;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(token);
        bounded.CancelAfter(limit);
        try
        {
            while (!await condition(bounded.Token))
            {
                await Task.Delay(Interval, bounded.Token);
            }
        }
        catch (OperationCanceledException) when (bounded.IsCancellationRequested && !token.IsCancellationRequested)
        {
            Assert.Fail($"Waited {limit.TotalSeconds:0.#} s for {what}.");
        }
    }
}

namespace Workers.Pooling;

/// <summary>How many times a turn may still start over on another process after losing one (<c>specs/pool.md</c>, "Retry
/// budget"). Two purses: <c>Pool:MaxAttempts</c> counts the attempts whose process failed on its own (the first attempt
/// included), the failures a rerun may not cure; <c>Pool:RetriesAfterKill</c> pays first for reruns after an outside kill
/// (<see cref="Processes.OutsideKill"/>), which say nothing about the agent. Once that purse is empty, outside kills are
/// paid from <c>MaxAttempts</c> like any other death.</summary>
internal sealed class RetryBudget(int maxAttempts, int retriesAfterKill)
{
    private int _attempts = 1;
    private int _retriesAfterKill;

    /// <summary>Pays for one rerun after a lost process; <see cref="RetryCharge.Refused"/> when neither purse can.</summary>
    public RetryCharge TryCharge(bool killedFromOutside)
    {
        if (killedFromOutside && _retriesAfterKill < retriesAfterKill)
        {
            _retriesAfterKill++;
            return RetryCharge.RetryAfterKill;
        }

        if (_attempts < maxAttempts)
        {
            _attempts++;
            return RetryCharge.Attempt;
        }

        return RetryCharge.Refused;
    }

    /// <summary>What was spent, for the message of a turn that is not retried any more.</summary>
    public string Spent => retriesAfterKill > 0
        ? $"{_attempts} of {maxAttempts} attempts used (Pool:MaxAttempts) and {_retriesAfterKill} of {retriesAfterKill} reruns after an outside kill (Pool:RetriesAfterKill)"
        : $"{_attempts} of {maxAttempts} attempts used (Pool:MaxAttempts)";
}

/// <summary>Which purse of a <see cref="RetryBudget"/> paid for a rerun.</summary>
internal enum RetryCharge
{
    Refused,
    Attempt,
    RetryAfterKill,
}

using Microsoft.Extensions.Options;

namespace Workers.Profiles;

/// <summary>Checks the profiles at start-up; every message names the setting and its value.</summary>
/// <param name="families">The family names the drivers answer to.</param>
public sealed class WorkersOptionsValidator(FamilyNames families) : IValidateOptions<WorkersOptions>
{
    // Each check reads /proc once for all processes: more often than every 10 ms costs CPU for nothing; less often than
    // a minute, a stopped process holds up a turn almost as long as the timeouts would.
    private static readonly TimeSpan MinStoppedCheckInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxStoppedCheckInterval = TimeSpan.FromMinutes(1);

    public ValidateOptionsResult Validate(string? name, WorkersOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            errors.Add("Workers:DataDirectory must not be empty.");
        }

        foreach (var (profileName, profile) in options.Profiles.Where(p => p.Value.Enabled))
        {
            var prefix = $"Workers:Profiles:{profileName}";
            if (!families.TryCanonical(profile.Family, out _))
            {
                errors.Add($"{prefix}:Family '{profile.Family}' is not one of {string.Join(", ", families.Canonical)}.");
            }

            if (string.IsNullOrWhiteSpace(profile.Command))
            {
                errors.Add($"{prefix}:Command must not be empty.");
            }

            if (profile.MaxLineBytes < 4096)
            {
                errors.Add($"{prefix}:MaxLineBytes {profile.MaxLineBytes} is below the minimum of 4096.");
            }

            if (profile.MaxFileReadBytes < 1)
            {
                errors.Add($"{prefix}:MaxFileReadBytes {profile.MaxFileReadBytes} must be at least 1.");
            }

            if (profile.MaxTurnOutputBytes < profile.MaxLineBytes)
            {
                errors.Add($"{prefix}:MaxTurnOutputBytes {profile.MaxTurnOutputBytes} is below MaxLineBytes {profile.MaxLineBytes}: "
                    + "a turn could not take one whole line.");
            }

            CheckTimer(errors, $"{prefix}:Timeouts:Ready", profile.Timeouts.Ready);
            CheckTimer(errors, $"{prefix}:Timeouts:FirstToken", profile.Timeouts.FirstToken);
            CheckTimer(errors, $"{prefix}:Timeouts:Turn", profile.Timeouts.Turn);
            CheckTimer(errors, $"{prefix}:Timeouts:Cancel", profile.Timeouts.Cancel);
            CheckTimer(errors, $"{prefix}:Timeouts:GracefulStop", profile.Timeouts.GracefulStop);
            ValidatePool(errors, prefix + ":Pool", profile.Pool);
            ValidateCanary(errors, prefix + ":Canary", profile.Canary);
            if (profile.Timeouts.FirstToken > profile.Timeouts.Turn)
            {
                errors.Add($"{prefix}:Timeouts:FirstToken {profile.Timeouts.FirstToken} exceeds Timeouts:Turn {profile.Timeouts.Turn}.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidatePool(List<string> errors, string prefix, PoolOptions pool)
    {
        if (pool.MinReady < 0)
        {
            errors.Add($"{prefix}:MinReady {pool.MinReady} must not be negative.");
        }

        if (pool.MaxReady < pool.MinReady)
        {
            errors.Add($"{prefix}:MaxReady {pool.MaxReady} is below MinReady {pool.MinReady}.");
        }

        if (pool.MaxProcesses < 1 || pool.MaxProcesses < pool.MaxReady)
        {
            errors.Add($"{prefix}:MaxProcesses {pool.MaxProcesses} must be at least 1 and at least MaxReady {pool.MaxReady}.");
        }

        if (pool.MaxProcessRssMiB is < 1)
        {
            errors.Add($"{prefix}:MaxProcessRssMiB {pool.MaxProcessRssMiB} must be at least 1 (or unset: no limit).");
        }

        if (pool.MaxTurnsPerProcess < 1)
        {
            errors.Add($"{prefix}:MaxTurnsPerProcess {pool.MaxTurnsPerProcess} must be at least 1.");
        }

        if (pool.MaxConcurrentStarts < 1)
        {
            errors.Add($"{prefix}:MaxConcurrentStarts {pool.MaxConcurrentStarts} must be at least 1.");
        }

        if (pool.MaxAttempts < 1)
        {
            errors.Add($"{prefix}:MaxAttempts {pool.MaxAttempts} must be at least 1.");
        }

        if (pool.RetriesAfterKill is < 0 or > 100)
        {
            errors.Add($"{prefix}:RetriesAfterKill {pool.RetriesAfterKill} must be in [0, 100].");
        }

        if (pool.LifetimeJitter is < 0 or >= 1)
        {
            errors.Add($"{prefix}:LifetimeJitter {pool.LifetimeJitter} must be in [0, 1).");
        }

        if (pool.Adaptive.SafetyFactor <= 0)
        {
            errors.Add($"{prefix}:Adaptive:SafetyFactor {pool.Adaptive.SafetyFactor} must be positive.");
        }

        CheckPositive(errors, $"{prefix}:MaxLifetime", pool.MaxLifetime);
        CheckPositive(errors, $"{prefix}:SessionIdleTtl", pool.SessionIdleTtl);
        CheckTimer(errors, $"{prefix}:StartTimeout", pool.StartTimeout);
        CheckTimer(errors, $"{prefix}:LeaseTimeout", pool.LeaseTimeout);
        CheckTimer(errors, $"{prefix}:StartBackoff", pool.StartBackoff);
        if (pool.StartBackoffMax > TimerLimits.Longest)
        {
            errors.Add(TooLong($"{prefix}:StartBackoffMax", pool.StartBackoffMax));
        }
        if (pool.StoppedCheckInterval < MinStoppedCheckInterval || pool.StoppedCheckInterval > MaxStoppedCheckInterval)
        {
            errors.Add($"{prefix}:StoppedCheckInterval {pool.StoppedCheckInterval} must be within [{MinStoppedCheckInterval}, {MaxStoppedCheckInterval}].");
        }

        CheckPositive(errors, $"{prefix}:Adaptive:RateWindow", pool.Adaptive.RateWindow);
        ValidatePrewarmDirectories(errors, prefix, pool);
        foreach (var schedule in pool.Schedules)
        {
            if (!IsValidCron(schedule.Cron))
            {
                errors.Add($"{prefix}:Schedules cron '{schedule.Cron}' is not a valid Quartz cron expression.");
            }

            if (schedule.MinReady < 0 || schedule.MinReady > pool.MaxReady)
            {
                errors.Add($"{prefix}:Schedules '{schedule.Cron}' MinReady {schedule.MinReady} must be within [0, MaxReady {pool.MaxReady}].");
            }
        }
    }

    /// <summary><c>Pool:WorkingDirectories</c> as written; where each directory leads is checked when the profile is resolved
    /// (<see cref="ResolvedProfile.PrewarmDirectories"/>).</summary>
    private static void ValidatePrewarmDirectories(List<string> errors, string prefix, PoolOptions pool)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var directory in pool.WorkingDirectories)
        {
            var where = $"{prefix}:WorkingDirectories '{directory.Name}'";
            if (!IsDirectoryLabel(directory.Name) || directory.Name == PrewarmDirectory.DefaultName)
            {
                errors.Add($"{where}: Name must be 1 to {PrewarmDirectory.MaxNameLength} lower-case letters, digits, '-' or '_', "
                    + $"starting with a letter or digit, and not '{PrewarmDirectory.DefaultName}' (it is the metrics' directory label).");
            }
            else if (!names.Add(directory.Name))
            {
                errors.Add($"{where}: Name is given twice.");
            }

            if (string.IsNullOrWhiteSpace(directory.Path) || !Path.IsPathRooted(directory.Path))
            {
                errors.Add($"{where}: Path '{directory.Path}' must be an absolute path.");
            }

            if (directory.MinReady < 0 || directory.MaxReady < directory.MinReady)
            {
                errors.Add($"{where}: MinReady {directory.MinReady} and MaxReady {directory.MaxReady} must satisfy 0 <= MinReady <= MaxReady.");
            }
        }

        var minReady = pool.MinReady + pool.WorkingDirectories.Sum(d => Math.Max(d.MinReady, 0));
        if (pool.WorkingDirectories.Count > 0 && minReady > pool.MaxProcesses)
        {
            errors.Add($"{prefix}:MinReady {pool.MinReady} plus the MinReady of every WorkingDirectories entry ({minReady} in all) "
                + $"exceeds MaxProcesses {pool.MaxProcesses}.");
        }
    }

    private static bool IsDirectoryLabel(string name) =>
        name.Length is > 0 and <= PrewarmDirectory.MaxNameLength
        && (char.IsAsciiLetterLower(name[0]) || char.IsAsciiDigit(name[0]))
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_');

    private static void ValidateCanary(List<string> errors, string prefix, CanaryOptions canary)
    {
        if (!canary.IsScheduled)
        {
            return;
        }

        if (!IsValidCron(canary.Cron))
        {
            errors.Add($"{prefix}:Cron '{canary.Cron}' is not a valid Quartz cron expression.");
        }

        if (string.IsNullOrWhiteSpace(canary.Prompt))
        {
            errors.Add($"{prefix}:Prompt must not be blank.");
        }

        CheckTimer(errors, $"{prefix}:Deadline", canary.Deadline);
    }

    private static bool IsValidCron(string expression)
    {
        try
        {
            _ = new Quartz.CronExpression(expression);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static void CheckPositive(List<string> errors, string setting, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{setting} {value} must be positive.");
        }
    }

    /// <summary>A timeout that becomes a timer or a CancellationTokenSource: positive, and no longer than one can wait.</summary>
    private static void CheckTimer(List<string> errors, string setting, TimeSpan value)
    {
        CheckPositive(errors, setting, value);
        if (value > TimerLimits.Longest)
        {
            errors.Add(TooLong(setting, value));
        }
    }

    private static string TooLong(string setting, TimeSpan value) =>
        $"{setting} {value} is longer than a timer can wait; it must be at most {TimerLimits.Longest} (about 49.7 days).";
}

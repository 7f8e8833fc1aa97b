using Microsoft.Extensions.Options;

namespace Workers.Profiles;

/// <summary>Checks the profiles at start-up; every message names the setting and its value.</summary>
public sealed class WorkersOptionsValidator : IValidateOptions<WorkersOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkersOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            errors.Add("Workers:DataDirectory must not be empty.");
        }

        foreach (var (profileName, profile) in options.Profiles)
        {
            var prefix = $"Workers:Profiles:{profileName}";
            if (!RuntimeFamilyNames.TryParse(profile.Family, out _))
            {
                errors.Add($"{prefix}:Family '{profile.Family}' is not one of {string.Join(", ", RuntimeFamilyNames.All)}.");
            }

            if (string.IsNullOrWhiteSpace(profile.Command))
            {
                errors.Add($"{prefix}:Command must not be empty.");
            }

            if (profile.MaxLineBytes < 4096)
            {
                errors.Add($"{prefix}:MaxLineBytes {profile.MaxLineBytes} is below the minimum of 4096.");
            }

            CheckPositive(errors, $"{prefix}:Timeouts:Ready", profile.Timeouts.Ready);
            CheckPositive(errors, $"{prefix}:Timeouts:FirstToken", profile.Timeouts.FirstToken);
            CheckPositive(errors, $"{prefix}:Timeouts:Turn", profile.Timeouts.Turn);
            CheckPositive(errors, $"{prefix}:Timeouts:Cancel", profile.Timeouts.Cancel);
            CheckPositive(errors, $"{prefix}:Timeouts:GracefulStop", profile.Timeouts.GracefulStop);
            if (profile.Timeouts.FirstToken > profile.Timeouts.Turn)
            {
                errors.Add($"{prefix}:Timeouts:FirstToken {profile.Timeouts.FirstToken} exceeds Timeouts:Turn {profile.Timeouts.Turn}.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckPositive(List<string> errors, string setting, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{setting} {value} must be positive.");
        }
    }
}

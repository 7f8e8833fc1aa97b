using Microsoft.Extensions.Configuration;
using Workers.Profiles;

namespace Workers.IntegrationTests.RealClis;

/// <summary>The profiles shipped in <c>src/Workers.Host/appsettings.json</c>, read from the source tree.</summary>
public static class ShippedProfiles
{
    public static string AppSettingsPath
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "src", "Workers.Host", "appsettings.json");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new FileNotFoundException("src/Workers.Host/appsettings.json not found above the test's base directory.");
        }
    }

    /// <summary>A fresh copy of every shipped profile, by name.</summary>
    public static Dictionary<string, AgentProfile> Load()
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(AppSettingsPath).Build();
        var profiles = new Dictionary<string, AgentProfile>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in configuration.GetSection("Workers:Profiles").GetChildren())
        {
            var profile = new AgentProfile();
            section.Bind(profile);
            profiles[section.Key] = profile;
        }

        return profiles;
    }
}

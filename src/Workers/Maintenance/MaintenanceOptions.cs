using System.ComponentModel.DataAnnotations;

namespace Workers.Maintenance;

/// <summary><c>Workers:Maintenance</c>: how often scheduled upkeep runs and how shutdown drains. Checked at start-up by
/// <see cref="MaintenanceOptionsValidator"/>.</summary>
public sealed class MaintenanceOptions
{
    public const string SectionName = "Workers:Maintenance";

    /// <summary>How often idle sessions and aged processes are reaped.</summary>
    /// <value>The default is 15 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ReapInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long running turns may finish after a stop is requested before their processes are stopped.</summary>
    /// <value>The default is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan DrainDeadline { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the file sweep runs: orphaned conversation directories and the trash are removed, and
    /// <c>workers_data_bytes</c> is measured (a walk of the data directory, never done at scrape time).</summary>
    /// <value>The default is 10 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan FileSweepInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a conversation directory that no conversation of the store owns is left alone after its last change
    /// before the file sweep removes it.</summary>
    /// <value>The default is 1 hour.</value>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan OrphanGracePeriod { get; set; } = TimeSpan.FromHours(1);
}

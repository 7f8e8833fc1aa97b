namespace Workers.Maintenance;

/// <summary><c>Workers:Maintenance</c>: how often scheduled upkeep runs and how shutdown drains.</summary>
public sealed class MaintenanceOptions
{
    public const string SectionName = "Workers:Maintenance";

    /// <summary>How often idle sessions and aged processes are reaped.</summary>
    /// <value>The default is 15 seconds.</value>
    public TimeSpan ReapInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long running turns may finish after a stop is requested before their processes are stopped.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan DrainDeadline { get; set; } = TimeSpan.FromSeconds(30);
}

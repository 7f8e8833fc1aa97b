namespace Workers.Logging;

/// <summary>Stable event-id ranges per feature, so log queries survive refactoring.</summary>
internal static class EventIds
{
    public const int Processes = 1100;
    public const int Families = 1200;
    public const int Turns = 1300;
    public const int Pooling = 1400;
    public const int Store = 1500;
    public const int Api = 1600;
    public const int Maintenance = 1700;
    public const int Isolation = 1800;
}

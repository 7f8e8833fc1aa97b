namespace Workers.Service;

/// <summary>How long running turns may finish after a stop is requested (<c>Workers:Maintenance:DrainDeadline</c>),
/// handed down by the composition root so the dispatcher does not reach up into the maintenance settings.</summary>
public sealed record DrainDeadline(TimeSpan Value);

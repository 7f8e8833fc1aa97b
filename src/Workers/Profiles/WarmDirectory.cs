namespace Workers.Profiles;

/// <summary>A configured prewarm directory (<see cref="PrewarmDirectory"/>) made ready to launch in: its name and its real
/// path, the path a turn naming it resolves to.</summary>
public sealed record WarmDirectory(string Name, string Path);

namespace Workers.Profiles;

/// <summary>A working directory that lies, or through a symlink leads, outside the directories its profile allows. Its message
/// names the directory as it was asked for, never where a symlink leads.</summary>
public sealed class WorkingDirectoryOutsideException(string message) : ArgumentException(message);

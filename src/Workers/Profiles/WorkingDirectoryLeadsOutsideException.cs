namespace Workers.Profiles;

/// <summary>A working directory inside the directories its profile allows as written, whose real path lies outside them: a
/// symlink leads out. Accepted at enqueue, it means the directory was swapped since. Its message names the directory as it
/// was asked for, never where the symlink leads.</summary>
public sealed class WorkingDirectoryLeadsOutsideException(string message) : ArgumentException(message);

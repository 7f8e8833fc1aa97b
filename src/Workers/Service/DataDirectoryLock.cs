namespace Workers.Service;

/// <summary>One service per data directory: two would share the SQLite file and each take the other's leases back.
/// The lock is an exclusive open of <c>workers.lock</c> (flock on Linux), released by the kernel when the process
/// ends, however it ends.</summary>
public sealed class DataDirectoryLock : IDisposable
{
    private readonly FileStream _file;

    private DataDirectoryLock(FileStream file) => _file = file;

    /// <exception cref="InvalidOperationException">Another process holds the lock.</exception>
    public static DataDirectoryLock Acquire(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, "workers.lock");
        try
        {
            var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            file.SetLength(0);
            using (var writer = new StreamWriter(file, leaveOpen: true))
            {
                writer.Write(Environment.ProcessId);
            }

            return new DataDirectoryLock(file);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException(
                $"Another Workers service is using the data directory '{dataDirectory}' (it holds {path}). Stop it, or give this one its own " +
                "Workers:DataDirectory.", ex);
        }
    }

    public void Dispose() => _file.Dispose();
}

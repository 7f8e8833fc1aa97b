using System.Globalization;
using System.Security.Cryptography;

namespace Workers.SimAgent;

/// <summary>
/// A file operation a prompt asks the agent to do itself, with plain <c>System.IO</c> calls in its own process
/// (<c>[[sim-io:read:/path]]</c>, <c>[[sim-io:write:/path]]</c>, <c>[[sim-io:append:/path]]</c>, <c>[[sim-io:list:/path]]</c>):
/// the hostile agent of the isolation tests. A <see cref="FileRequest"/> asks the client, so it meets the host's checks; this
/// one meets only what the OS lets the agent's process do (its user, its mounts, its sandbox), which is what isolation must
/// hold. The path is used as written (relative to the agent's cwd, <c>..</c>, symlinks followed as the OS follows them):
/// nothing is checked, so whatever the isolation leaves open shows in the report.
/// </summary>
/// <param name="Operation"><c>read</c>, <c>write</c>, <c>append</c> or <c>list</c>.</param>
/// <param name="Path">The path exactly as the prompt names it (not checked, not normalised).</param>
internal sealed record OwnFileOperation(string Operation, string Path)
{
    /// <summary>What a write puts in the file (created or truncated; its parent directories are not created).</summary>
    public const string WrittenContent = "sim-io wrote this";

    /// <summary>What an append adds at the end of the file (created when missing).</summary>
    public const string AppendedLine = "sim-io appended\n";

    /// <summary>
    /// Does the operation now and reports it as one line of reply text, newline included, so a test can parse it exactly:
    /// <c>sim-io &lt;operation&gt; &lt;path&gt;: ok &lt;detail&gt;</c> (read: <c>&lt;n&gt; bytes sha256=&lt;hex&gt;</c>; write,
    /// append: <c>done</c>; list: <c>&lt;n&gt; entries: &lt;names, ordinal order, comma-separated&gt;</c>) or
    /// <c>sim-io &lt;operation&gt; &lt;path&gt;: failed &lt;exception type name&gt;</c>.
    /// A failure is named by the exception's type only: the type is stable across machines where messages are not, and
    /// the agent is probing, so a refusal is an answer, never a reason to end the turn (nothing is thrown).
    /// </summary>
    public string Run()
    {
        string outcome;
        try
        {
            outcome = "ok " + Do();
        }
        catch (Exception e)
        {
            outcome = "failed " + e.GetType().Name;
        }

        return $"sim-io {Operation} {Path}: {outcome}\n";
    }

    private string Do()
    {
        switch (Operation)
        {
            case "read":
                return Read();
            case "write":
                File.WriteAllText(Path, WrittenContent);
                return "done";
            case "append":
                File.AppendAllText(Path, AppendedLine);
                return "done";
            case "list":
                var names = new DirectoryInfo(Path).EnumerateFileSystemInfos().Select(i => i.Name).Order(StringComparer.Ordinal).ToList();
                return string.Create(CultureInfo.InvariantCulture, $"{names.Count} entries: {string.Join(',', names)}");
            default:
                throw new InvalidOperationException($"unknown sim-io operation '{Operation}'");
        }
    }

    // Streamed, not read whole: a probe of a big file (or of /proc) costs a buffer, and the report is its size and digest.
    private string Read()
    {
        using var file = File.OpenRead(Path);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long count = 0;
        int read;
        while ((read = file.Read(buffer)) > 0)
        {
            hash.AppendData(buffer.AsSpan(0, read));
            count += read;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{count} bytes sha256={Convert.ToHexStringLower(hash.GetHashAndReset())}");
    }
}

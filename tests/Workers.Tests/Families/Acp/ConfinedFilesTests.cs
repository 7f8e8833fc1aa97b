using StreamJsonRpc;
using Workers.Families.Acp;

namespace Workers.Tests.Families.Acp;

/// <summary>The races the path check alone cannot close: a link swapped in between the check and the open. Each swap runs at
/// the exact moment between them (<c>betweenCheckAndUse</c>); the write or read must be refused and nothing outside touched.
/// The path forms themselves are tried through a real agent in the integration tests (<c>AcpFileConfinementTests</c>).</summary>
public sealed class ConfinedFilesTests : IDisposable
{
    private readonly string _workspace = Directory.CreateTempSubdirectory("workers-confined-").FullName;
    private readonly string _outside = Directory.CreateTempSubdirectory("workers-outside-").FullName;

    public ConfinedFilesTests()
    {
        Directory.CreateDirectory(In("sub"));
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "secret");
        File.WriteAllText(In("inside.txt"), "inside");
    }

    private string In(string relative) => Path.Combine(_workspace, relative);

    private string[] OutsideListing() =>
        [.. Directory.EnumerateFileSystemEntries(_outside, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    [Fact]
    public void DirectorySwappedForALink_AfterTheCheck_TheWriteIsRefused()
    {
        var before = OutsideListing();
        var files = new ConfinedFiles(_workspace, () =>
        {
            Directory.Move(In("sub"), In("sub-moved"));
            Directory.CreateSymbolicLink(In("sub"), _outside);
        });

        var refusal = Assert.Throws<LocalRpcException>(() => files.WriteAllText(In("sub/new.txt"), "x"));

        Assert.Equal(-32602, refusal.ErrorCode);
        Assert.DoesNotContain(_outside, refusal.Message, StringComparison.Ordinal);
        Assert.Equal(before, OutsideListing());
    }

    [Fact]
    public void MissingDirectoryAppearingAsALink_AfterTheCheck_IsNotEntered()
    {
        var before = OutsideListing();
        var files = new ConfinedFiles(_workspace, () => Directory.CreateSymbolicLink(In("sub/made"), _outside));

        var refusal = Assert.Throws<LocalRpcException>(() => files.WriteAllText(In("sub/made/deeper/new.txt"), "x"));

        Assert.Equal(-32602, refusal.ErrorCode);
        Assert.Equal(before, OutsideListing());
    }

    [Fact]
    public void FileAppearingAsALink_AfterTheCheck_IsNotWrittenThrough()
    {
        var files = new ConfinedFiles(_workspace, () => File.CreateSymbolicLink(In("new.txt"), Path.Combine(_outside, "secret.txt")));

        var refusal = Assert.Throws<LocalRpcException>(() => files.WriteAllText(In("new.txt"), "x"));

        Assert.Equal(-32602, refusal.ErrorCode);
        Assert.Equal("secret", File.ReadAllText(Path.Combine(_outside, "secret.txt")));
    }

    [Fact]
    public void FileSwappedForALink_AfterTheCheck_IsNotRead()
    {
        var files = new ConfinedFiles(_workspace, () =>
        {
            File.Delete(In("inside.txt"));
            File.CreateSymbolicLink(In("inside.txt"), Path.Combine(_outside, "secret.txt"));
        });

        var refusal = Assert.Throws<LocalRpcException>(() => files.ReadText(In("inside.txt"), new TextRead(null, null, 1024)));

        Assert.Equal(-32602, refusal.ErrorCode);
    }

    [Fact]
    public void WorkingDirectoryReplacedByALink_RefusesEverything()
    {
        var moved = _workspace + "-moved";
        Directory.Move(_workspace, moved);
        Directory.CreateSymbolicLink(_workspace, _outside);
        try
        {
            var files = new ConfinedFiles(_workspace);

            var read = new TextRead(null, null, 1024);
            Assert.Equal(-32602, Assert.Throws<LocalRpcException>(() => files.ReadText(In("secret.txt"), read)).ErrorCode);
            Assert.Equal(-32602, Assert.Throws<LocalRpcException>(() => files.WriteAllText(In("new.txt"), "x")).ErrorCode);
            Assert.False(File.Exists(Path.Combine(_outside, "new.txt")));
        }
        finally
        {
            File.Delete(_workspace);
            Directory.Move(moved, _workspace);
        }
    }

    [Fact]
    public void WriteOverAnExistingFile_KeepsItsModeAndReplacesItsText()
    {
        File.SetUnixFileMode(In("inside.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        new ConfinedFiles(_workspace).WriteAllText(In("inside.txt"), "new");

        Assert.Equal("new", File.ReadAllText(In("inside.txt")));
        Assert.True(File.GetUnixFileMode(In("inside.txt")).HasFlag(UnixFileMode.UserExecute));
    }

    public void Dispose()
    {
        Directory.Delete(_workspace, recursive: true);
        Directory.Delete(_outside, recursive: true);
    }
}

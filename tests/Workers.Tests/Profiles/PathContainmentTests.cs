using Workers.Profiles;

namespace Workers.Tests.Profiles;

/// <summary>Containment by whole path segments, the file-system root included (an allowed directory of <c>/</c> used to
/// contain nothing: its prefix became <c>//</c>).</summary>
public sealed class PathContainmentTests
{
    [Theory]
    [InlineData("/srv/project", "/srv/project", true)]
    [InlineData("/srv/project/a/b", "/srv/project", true)]
    [InlineData("/srv/project/", "/srv/project", true)]
    [InlineData("/srv/project/a", "/srv/project/", true)]
    [InlineData("/srv/projects", "/srv/project", false)]
    [InlineData("/srv/project/../other", "/srv/project", false)]
    [InlineData("/srv", "/srv/project", false)]
    [InlineData("/srv/project", "/", true)]
    [InlineData("/", "/", true)]
    [InlineData("/etc/passwd", "/", true)]
    public void IsWithin_ByWholeSegments(string path, string directory, bool within) =>
        Assert.Equal(within, PathContainment.IsWithin(path, directory));
}

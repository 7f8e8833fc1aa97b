using Workers.Service;

namespace Workers.Tests.Service;

/// <summary>The one id rule: an id is a single URL path segment that needs no escaping (<c>specs/api.md</c>, "Ids").</summary>
public sealed class ProducerIdsTests
{
    [Theory]
    [InlineData("turn-001")]
    [InlineData("7")]
    [InlineData("tenant-7:conv.01_A")]
    [InlineData("chaos-11-1202161001-c3-14-t2")]
    [InlineData("0190f4a2-6a8e-7b3c-9d4e-5f6a7b8c9d0e")]
    public void Accepts_TheDocumentedCharset(string id) => Assert.True(ProducerIds.IsValid(id));

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData(".hidden")]
    [InlineData("-x")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a b")]
    [InlineData("a%2Fb")]
    [InlineData("x?y")]
    [InlineData("x#y")]
    [InlineData("ü")]
    [InlineData("turn\n")]
    public void Refuses_WhatIsNotOnePlainPathSegment(string id) => Assert.False(ProducerIds.IsValid(id));

    [Fact]
    public void Refuses_MoreThanTheMaximumLength()
    {
        Assert.True(ProducerIds.IsValid(new string('a', ProducerIds.MaxLength)));
        Assert.False(ProducerIds.IsValid(new string('a', ProducerIds.MaxLength + 1)));
    }
}

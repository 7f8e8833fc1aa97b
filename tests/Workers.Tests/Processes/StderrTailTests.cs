using Workers.Processes;

namespace Workers.Tests.Processes;

/// <summary>The stderr tail is the current turn's: a pooled process serves many conversations, and one turn's record must
/// never carry another's stderr (issue 12, defect 4).</summary>
public sealed class StderrTailTests
{
    [Fact]
    public void FirstTurn_KeepsTheStartUpStderr()
    {
        var tail = new StderrTail();
        tail.Append("warming up\n", 11);

        tail.BeginTurn();
        tail.Append("first turn\n", 11);

        Assert.Equal("warming up\nfirst turn\n", tail.Read());
    }

    [Fact]
    public void LaterTurn_SeesOnlyItsOwnStderr_NotTheEarlierTurnsOrWhatCameBetween()
    {
        // Arrange: a turn of one conversation, then stderr while the process waited.
        var tail = new StderrTail();
        tail.BeginTurn();
        tail.Append("prompt of conversation a\n", 25);
        tail.Append("idle chatter\n", 13);

        // Act: a turn of another conversation.
        tail.BeginTurn();
        tail.Append("error of conversation b\n", 24);

        // Assert: the turn's tail and its summary are its own; the byte count is the process's.
        Assert.Equal("error of conversation b\n", tail.Read());
        Assert.Equal("stderr: error of conversation b", tail.Summary());
        Assert.Equal(62, tail.TotalBytes);
    }

    [Fact]
    public void LaterTurn_WithNoStderr_SaysItWasEmpty()
    {
        var tail = new StderrTail();
        tail.BeginTurn();
        tail.Append("secret\n", 7);

        tail.BeginTurn();

        Assert.Equal("stderr was empty.", tail.Summary());
    }
}

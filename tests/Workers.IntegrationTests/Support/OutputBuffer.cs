using System.Text;

namespace Workers.IntegrationTests.Support;

/// <summary>A child process's output lines, collected from its asynchronous readers and read as a whole for messages.</summary>
public sealed class OutputBuffer
{
    private readonly StringBuilder _text = new();

    public void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_text)
        {
            _text.AppendLine(line);
        }
    }

    public override string ToString()
    {
        lock (_text)
        {
            return _text.ToString();
        }
    }
}

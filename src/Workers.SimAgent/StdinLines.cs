using System.Text;

namespace Workers.SimAgent;

/// <summary>Reading stdin, either line by line for the long-lived modes or whole for the one-shot ones.</summary>
internal static class StdinLines
{
    /// <summary>
    /// Reads lines on a dedicated background thread and hands each to <paramref name="onLine"/> as it arrives, so control
    /// messages are seen while a turn runs. A background thread never keeps the process alive once the mode is done.
    /// </summary>
    public static void Start(Action<string> onLine, Action onEnd)
    {
        var thread = new Thread(() =>
        {
            using var reader = Open();
            while (reader.ReadLine() is { } line)
            {
                onLine(line);
            }

            onEnd();
        })
        {
            IsBackground = true,
            Name = "stdin",
        };
        thread.Start();
    }

    /// <summary>Reads stdin to EOF, as the one-shot CLIs do before they start work.</summary>
    public static async Task<string> ReadToEndAsync()
    {
        using var reader = Open();
        return await reader.ReadToEndAsync();
    }

    private static StreamReader Open() => new(Console.OpenStandardInput(), new UTF8Encoding(false), false);
}

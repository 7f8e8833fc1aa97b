namespace Workers.Processes;

/// <summary>Resident memory of a process and its descendants, from <c>/proc</c>: an agent is often node plus a child CLI,
/// and the child is where the memory goes (claude-agent-acp: ~70 MB idle, ~270 MB with one open session).</summary>
public static class ProcessMemory
{
    private static readonly long PageSize = Environment.SystemPageSize;

    public static long ResidentBytesOfTree(int processId)
    {
        long total = 0;
        var pending = new Stack<int>();
        pending.Push(processId);
        var seen = new HashSet<int>();
        while (pending.Count > 0)
        {
            var pid = pending.Pop();
            if (!seen.Add(pid))
            {
                continue;
            }

            total += ResidentBytes(pid);
            foreach (var child in Children(pid))
            {
                pending.Push(child);
            }
        }

        return total;
    }

    private static long ResidentBytes(int processId)
    {
        try
        {
            // statm: size resident shared text lib data dt, in pages.
            var fields = File.ReadAllText($"/proc/{processId}/statm").Split(' ');
            return long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * PageSize;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }

    private static IEnumerable<int> Children(int processId)
    {
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories($"/proc/{processId}/task");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            yield break;
        }

        foreach (var task in tasks)
        {
            string children;
            try
            {
                children = File.ReadAllText(Path.Combine(task, "children"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var child in children.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (int.TryParse(child, out var pid))
                {
                    yield return pid;
                }
            }
        }
    }
}

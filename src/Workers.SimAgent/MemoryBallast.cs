namespace Workers.SimAgent;

/// <summary>The <c>grow:&lt;MiB&gt;</c> fault: memory the process keeps for the rest of its life, as a CLI that leaks per
/// turn does. Every page is written, so it counts in the resident set a host measures, not only in the address space.</summary>
internal static class MemoryBallast
{
    private const int Mebibyte = 1 << 20;

    private static readonly List<byte[]> Kept = [];

    public static void Grow(int mebibytes)
    {
        for (var i = 0; i < mebibytes; i++)
        {
            var block = GC.AllocateUninitializedArray<byte>(Mebibyte, pinned: false);
            for (var page = 0; page < block.Length; page += Environment.SystemPageSize)
            {
                block[page] = 1;
            }

            lock (Kept)
            {
                Kept.Add(block);
            }
        }
    }
}

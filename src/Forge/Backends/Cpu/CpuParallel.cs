namespace Forge.Backends.Cpu;

/// <summary>
/// The CPU backend's intra-op parallelism. Work is split into a fixed number of contiguous chunks that depends only on
/// the size and the thread count, so results are deterministic for a fixed thread count.
/// </summary>
public static class CpuParallel
{
    private static int threads = ReadThreadCount();

    /// <summary>Threads used by kernels (FORGE_THREADS or the processor count).</summary>
    public static int Threads
    {
        get => threads;
        set => threads = value >= 1 ? value : throw new ForgeException($"Thread count must be at least 1, found {value}.");
    }

    /// <summary>Runs <paramref name="body"/>(start, end) over chunks of [0, count), each at least <paramref name="grain"/> long.</summary>
    public static void For(long count, long grain, Action<long, long> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0) return;
        long chunks = Math.Min(threads, Math.Max(1, count / Math.Max(grain, 1)));
        if (chunks <= 1)
        {
            body(0, count);
            return;
        }
        long per = (count + chunks - 1) / chunks;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        Parallel.For(0, (int)chunks, options, c =>
        {
            long start = c * per;
            long end = Math.Min(count, start + per);
            if (start < end) body(start, end);
        });
    }

    private static int ReadThreadCount()
    {
        string? text = Environment.GetEnvironmentVariable("FORGE_THREADS");
        return int.TryParse(text, out int n) && n >= 1 ? n : Environment.ProcessorCount;
    }
}

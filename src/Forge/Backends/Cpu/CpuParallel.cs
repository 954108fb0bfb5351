using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Forge.Backends.Cpu;

/// <summary>
/// The CPU backend's intra-op parallelism. Work is split into contiguous chunks (a few per thread, claimed as threads come
/// free) whose bounds depend only on the size and the thread count, so results are deterministic for a fixed thread count. Chunks run on the calling thread
/// and on dedicated worker threads, which spin briefly after each parallel region before they sleep: a training step runs
/// hundreds of short regions separated by a little serial work, and waking a sleeping thread for each (as the thread pool
/// does) costs about 0.1 ms every time.
/// </summary>
public static class CpuParallel
{
    /// <summary>Chunks per thread: threads that finish early (or whose core is shared with other work) take the rest.</summary>
    private const int ChunksPerThread = 4;

    private static int threads = ReadThreadCount();
    private static WorkerPool? pool;

    /// <summary>Threads used by kernels (FORGE_THREADS or the processor count).</summary>
    public static int Threads
    {
        get => threads;
        set => threads = value >= 1 ? value : throw new ForgeException($"Thread count must be at least 1, found {value}.");
    }

    /// <summary>Runs <paramref name="body"/>(start, end) over chunks of [0, count), each at least <paramref name="grain"/> long (but the last).</summary>
    public static void For(long count, long grain, Action<long, long> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0) return;
        int workers = threads;
        long chunks = Math.Min(workers == 1 ? 1 : ChunksPerThread * workers, Math.Max(1, count / Math.Max(grain, 1)));
        if (chunks <= 1)
        {
            body(0, count);
            return;
        }
        long per = (count + chunks - 1) / chunks;
        chunks = (count + per - 1) / per;
        WorkerPool current = pool is { Size: var size } existing && size == workers ? existing : CreatePool(workers);
        if (!current.TryRun(new Region((int)chunks, per, count, body)))
        {
            // The pool is busy (a nested region, or another thread's): run the same chunks here, in order.
            for (long c = 0; c < chunks; c++) body(c * per, Math.Min(count, (c + 1) * per));
        }
    }

    private static WorkerPool CreatePool(int size)
    {
        var created = new WorkerPool(size);
        WorkerPool? previous = Interlocked.Exchange(ref pool, created);
        previous?.Stop();
        return created;
    }

    private static int ReadThreadCount()
    {
        string? text = Environment.GetEnvironmentVariable("FORGE_THREADS");
        return int.TryParse(text, out int n) && n >= 1 ? n : Environment.ProcessorCount;
    }

    /// <summary>One parallel loop: chunks are claimed in any order by whichever thread comes first.</summary>
    private sealed class Region
    {
        private readonly int chunks;
        private readonly long per, count;
        private readonly Action<long, long> body;
        private int next = -1;
        private int pending;
        private ExceptionDispatchInfo? failure;

        public Region(int chunks, long per, long count, Action<long, long> body)
        {
            this.chunks = chunks;
            this.per = per;
            this.count = count;
            this.body = body;
            pending = chunks;
        }

        public bool IsDone => Volatile.Read(ref pending) == 0;

        public ExceptionDispatchInfo? Failure => failure;

        /// <summary>Runs unclaimed chunks until none is left.</summary>
        public void Work()
        {
            int c;
            while ((c = Interlocked.Increment(ref next)) < chunks)
            {
                try
                {
                    long start = c * per;
                    body(start, Math.Min(count, start + per));
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null);
                }
                finally
                {
                    Interlocked.Decrement(ref pending);
                }
            }
        }
    }

    /// <summary>
    /// Size − 1 background threads that run the chunks of published regions alongside the calling thread. One region runs at
    /// a time; a worker spins for <see cref="SpinTicks"/> after a region before it sleeps until the next one is published.
    /// </summary>
    private sealed class WorkerPool
    {
        private static readonly long SpinTicks = Stopwatch.Frequency / 5000;

        /// <summary>Set on workers, and on a caller while its region runs: a region started there runs inline.</summary>
        [ThreadStatic]
        private static bool inRegion;

        private readonly object gate = new();
        private readonly object sleep = new();
        private Region? current;
        private long generation;
        private int sleepers;
        private volatile bool stopped;

        public WorkerPool(int size)
        {
            Size = size;
            for (int i = 1; i < size; i++)
            {
                var thread = new Thread(Loop) { IsBackground = true, Name = $"Forge CPU worker {i}" };
                thread.Start();
            }
        }

        public int Size { get; }

        /// <summary>Runs the region on this thread and the workers; false (nothing run) when the pool is busy or this is a worker.</summary>
        public bool TryRun(Region region)
        {
            if (inRegion || !Monitor.TryEnter(gate)) return false;
            inRegion = true;
            try
            {
                Volatile.Write(ref current, region);
                Interlocked.Increment(ref generation);
                if (Volatile.Read(ref sleepers) > 0) Wake();
                region.Work();
                var spin = new SpinWait();
                while (!region.IsDone) spin.SpinOnce(sleep1Threshold: -1);
                Volatile.Write(ref current, null);
            }
            finally
            {
                inRegion = false;
                Monitor.Exit(gate);
            }
            region.Failure?.Throw();
            return true;
        }

        public void Stop()
        {
            stopped = true;
            Wake();
        }

        private void Wake()
        {
            lock (sleep) Monitor.PulseAll(sleep);
        }

        private void Loop()
        {
            inRegion = true;
            long seen = 0;
            while (!stopped)
            {
                long start = Stopwatch.GetTimestamp();
                while (Volatile.Read(ref generation) == seen && !stopped)
                {
                    if (Stopwatch.GetTimestamp() - start < SpinTicks)
                    {
                        Thread.SpinWait(20);
                        continue;
                    }
                    lock (sleep)
                    {
                        // A publisher that read sleepers before this increment saw the new generation first (both are
                        // interlocked), so the check below cannot miss it; one that reads it after pulses under the lock.
                        Interlocked.Increment(ref sleepers);
                        while (Volatile.Read(ref generation) == seen && !stopped) Monitor.Wait(sleep);
                        Interlocked.Decrement(ref sleepers);
                    }
                    start = Stopwatch.GetTimestamp();
                }
                seen = Volatile.Read(ref generation);
                Volatile.Read(ref current)?.Work();
            }
        }
    }
}

using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Forge.Backends.Cpu;

/// <summary>
/// The CPU backend's intra-op parallelism. Work is split into contiguous chunks (a few per thread, claimed as threads come
/// free) whose bounds depend only on the size and the thread count, so results are deterministic for a fixed thread count. Chunks run on the calling thread
/// and on dedicated worker threads, which spin briefly after each parallel region before they sleep: a training step runs
/// hundreds of short regions separated by a little serial work, and waking a sleeping thread for each (as the thread pool
/// does) costs about 0.1 ms every time.
/// </summary>
public static unsafe class CpuParallel
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
        Run(count, grain, ChunksPerThread, body, null, &InvokeAction);
    }

    /// <summary>
    /// <see cref="For(long, long, Action{long, long})"/> with the body a struct (a kernel's operands and the loop over a chunk), so
    /// that starting the loop allocates nothing: the threads run the copy of <paramref name="body"/> on this call's stack.
    /// </summary>
    internal static void For<TBody>(long count, long grain, TBody body) where TBody : struct, IRangeBody =>
        Run(count, grain, ChunksPerThread, null, Unsafe.AsPointer(ref body), &InvokeBody<TBody>);

    /// <summary>
    /// Runs <paramref name="body"/> over [0, count) with every index a chunk of its own (on one thread, one call for all): for a
    /// few long tasks (a matrix product's blocks), where a thread that comes free should not wait while another runs a chunk
    /// of several.
    /// </summary>
    internal static void ForEach<TBody>(long count, TBody body) where TBody : struct, IRangeBody =>
        Run(count, 1, Region.MaxChunks, null, Unsafe.AsPointer(ref body), &InvokeBody<TBody>);

    private static void InvokeAction(object? target, void* state, long start, long end) => ((Action<long, long>)target!)(start, end);

    private static void InvokeBody<TBody>(object? target, void* state, long start, long end) where TBody : struct, IRangeBody =>
        Unsafe.AsRef<TBody>(state).Run(start, end);

    /// <summary>Runs the loop body given as <paramref name="run"/> with its <paramref name="target"/> object or <paramref name="state"/> pointer.</summary>
    private static void Run(long count, long grain, int chunksPerThread, object? target, void* state, delegate*<object?, void*, long, long, void> run)
    {
        if (count <= 0) return;
        int workers = threads;
        long chunks = Math.Min(Math.Min(workers == 1 ? 1 : (long)chunksPerThread * workers, Region.MaxChunks), Math.Max(1, count / Math.Max(grain, 1)));
        if (chunks <= 1)
        {
            run(target, state, 0, count);
            return;
        }
        long per = (count + chunks - 1) / chunks;
        chunks = (count + per - 1) / per;
        WorkerPool current = pool is { Size: var size } existing && size == workers ? existing : CreatePool(workers);
        if (!current.TryRun((int)chunks, per, count, target, state, run))
        {
            // The pool is busy (a nested region, or another thread's): run the same chunks here, in order.
            for (long c = 0; c < chunks; c++) run(target, state, c * per, Math.Min(count, (c + 1) * per));
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

    /// <summary>
    /// The parallel loop a pool runs, reused for each of its loops: chunks are claimed in any order by whichever thread comes
    /// first. A chunk is claimed by advancing one word that holds the loop's number, its chunk count and the next chunk, so a
    /// worker that looks late, at a loop already finished or at the next one, claims nothing of the one it saw: the fields of
    /// a loop change only after all its chunks have run, and a claim reads them after it succeeds.
    /// </summary>
    /// <remarks>
    /// The claim word and the pending count, which every thread writes, each sit on a cache line of their own: the region lives
    /// as long as its pool, next to the fields the waiting workers keep reading.
    /// </remarks>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private sealed class Region
    {
        /// <summary>The most chunks one loop can have (16 bits of the claim word).</summary>
        public const int MaxChunks = 0xFFFF;

        [FieldOffset(0)]
        private long per;

        [FieldOffset(8)]
        private long count;

        [FieldOffset(16)]
        private object? target;

        [FieldOffset(24)]
        private ExceptionDispatchInfo? failure;

        [FieldOffset(32)]
        private void* state;

        [FieldOffset(40)]
        private delegate*<object?, void*, long, long, void> run;

        /// <summary>Loop number (high 32 bits), chunk count (next 16) and next unclaimed chunk (low 16).</summary>
        [FieldOffset(64)]
        private long claim;

        [FieldOffset(128)]
        private int pending;

        public bool IsDone => Volatile.Read(ref pending) == 0;

        public ExceptionDispatchInfo? Failure => failure;

        /// <summary>Sets up the next loop; only the pool's owner calls this, once the previous loop <see cref="IsDone"/>.</summary>
        public void Start(int chunks, long per, long count, object? target, void* state, delegate*<object?, void*, long, long, void> run)
        {
            this.per = per;
            this.count = count;
            this.target = target;
            this.state = state;
            this.run = run;
            failure = null;
            Volatile.Write(ref pending, chunks);
            long loop = (Volatile.Read(ref claim) >> 32) + 1;
            Volatile.Write(ref claim, (loop << 32) | ((long)chunks << 16));
        }

        /// <summary>Runs unclaimed chunks of the current loop until none is left.</summary>
        public void Work()
        {
            while (true)
            {
                long seen = Volatile.Read(ref claim);
                int chunks = (int)((seen >> 16) & MaxChunks), c = (int)(seen & MaxChunks);
                if (c >= chunks) return;
                if (Interlocked.CompareExchange(ref claim, seen + 1, seen) != seen) continue;
                try
                {
                    long start = c * per;
                    run(target, state, start, Math.Min(count, start + per));
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

        /// <summary>Lets go of the finished loop's body (and what it captured, or the caller's stack).</summary>
        public void Clear()
        {
            target = null;
            state = null;
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
        private readonly Region region = new();
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

        /// <summary>Runs a loop on this thread and the workers; false (nothing run) when the pool is busy or this is a worker.</summary>
        public bool TryRun(int chunks, long per, long count, object? target, void* state, delegate*<object?, void*, long, long, void> run)
        {
            if (inRegion || !Monitor.TryEnter(gate)) return false;
            inRegion = true;
            ExceptionDispatchInfo? failure = null;
            try
            {
                region.Start(chunks, per, count, target, state, run);
                Volatile.Write(ref current, region);
                Interlocked.Increment(ref generation);
                if (Volatile.Read(ref sleepers) > 0) Wake();
                region.Work();
                var spin = new SpinWait();
                while (!region.IsDone) spin.SpinOnce(sleep1Threshold: -1);
                Volatile.Write(ref current, null);
                failure = region.Failure;
                region.Clear();
            }
            finally
            {
                inRegion = false;
                Monitor.Exit(gate);
            }
            failure?.Throw();
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

/// <summary>The body of a parallel loop as a struct: its fields are the loop's operands, <see cref="Run"/> does one chunk.</summary>
internal interface IRangeBody
{
    /// <summary>Runs indices [start, end).</summary>
    void Run(long start, long end);
}

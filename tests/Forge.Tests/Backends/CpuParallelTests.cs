using Forge.Backends.Cpu;
using Xunit;

namespace Forge.Tests.Backends;

[Collection(ThreadCountGroup.Name)]
public sealed class CpuParallelTests
{
    [Fact]
    public void EveryIndexRunsOnceInManyBackToBackRegionsAtEveryThreadCount()
    {
        int saved = CpuParallel.Threads;
        try
        {
            foreach (int threads in new[] { 1, 2, 3, 5 })
            {
                CpuParallel.Threads = threads;
                for (int region = 0; region < 300; region++)
                {
                    int count = 1 + region * 7 % 1000;
                    var hits = new int[count];
                    CpuParallel.For(count, 1, (start, end) =>
                    {
                        for (long i = start; i < end; i++) Interlocked.Increment(ref hits[i]);
                    });
                    CpuParallel.For(count, 1, new CountChunks { Hits = hits });
                    Assert.All(hits, h => Assert.Equal(2, h));
                }
            }
        }
        finally
        {
            CpuParallel.Threads = saved;
        }
    }

    [Fact]
    public void LoopWithAStructBodyAllocatesNothing()
    {
        var hits = new int[100_000];
        var body = new CountChunks { Hits = hits };
        CpuParallel.For(hits.Length, 1, body);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) CpuParallel.For(hits.Length, 1, body);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.All(hits, h => Assert.Equal(11, h));
    }

    private struct CountChunks : IRangeBody
    {
        public int[] Hits;

        public readonly void Run(long start, long end)
        {
            for (long i = start; i < end; i++) Interlocked.Increment(ref Hits[i]);
        }
    }

    private struct SingleIndexChunks : IRangeBody
    {
        public int[] Hits;

        public readonly void Run(long start, long end)
        {
            Assert.Equal(start + 1, end);
            Interlocked.Increment(ref Hits[start]);
        }
    }

    [Fact]
    public void ForEachOnSeveralThreadsGivesEveryIndexAChunkOfItsOwn()
    {
        int saved = CpuParallel.Threads;
        try
        {
            foreach (int threads in new[] { 2, 3 })
            {
                CpuParallel.Threads = threads;
                var hits = new int[37];
                CpuParallel.ForEach(hits.Length, new SingleIndexChunks { Hits = hits });
                Assert.All(hits, h => Assert.Equal(1, h));
            }
        }
        finally
        {
            CpuParallel.Threads = saved;
        }
    }

    [Fact]
    public void NestedRegionsAndConcurrentCallersRunInlineAndCompleteCorrectly()
    {
        int saved = CpuParallel.Threads;
        try
        {
            CpuParallel.Threads = 3;
            long total = 0;
            CpuParallel.For(6, 1, (start, end) =>
            {
                for (long i = start; i < end; i++)
                {
                    CpuParallel.For(100, 1, (s, e) => Interlocked.Add(ref total, e - s));
                }
            });
            Assert.Equal(600, total);

            long concurrent = 0;
            Parallel.For(0, 8, _ =>
            {
                for (int r = 0; r < 50; r++) CpuParallel.For(1000, 10, (s, e) => Interlocked.Add(ref concurrent, e - s));
            });
            Assert.Equal(8 * 50 * 1000, concurrent);
        }
        finally
        {
            CpuParallel.Threads = saved;
        }
    }

    [Fact]
    public void AnExceptionInAChunkReachesTheCallerAsItself()
    {
        int saved = CpuParallel.Threads;
        try
        {
            CpuParallel.Threads = 2;
            var error = Assert.Throws<ForgeException>(() => CpuParallel.For(10, 1, (start, _) =>
            {
                if (start > 0) throw new ForgeException("chunk failed");
            }));
            Assert.Equal("chunk failed", error.Message);
            long after = 0;
            CpuParallel.For(10, 1, (s, e) => Interlocked.Add(ref after, e - s));
            Assert.Equal(10, after);
        }
        finally
        {
            CpuParallel.Threads = saved;
        }
    }

    [Fact]
    public void AFinishedRegionKeepsNothingItsBodyCaptured()
    {
        int saved = CpuParallel.Threads;
        try
        {
            CpuParallel.Threads = 2;
            WeakReference captured = RunCapturing();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Assert.False(captured.IsAlive, "the pool's reused region still holds the last body");
        }
        finally
        {
            CpuParallel.Threads = saved;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference RunCapturing()
    {
        var data = new long[64];
        CpuParallel.For(data.Length, 1, (start, end) =>
        {
            for (long i = start; i < end; i++) data[i] = i;
        });
        Assert.Equal(63, data[^1]);
        return new WeakReference(data);
    }
}

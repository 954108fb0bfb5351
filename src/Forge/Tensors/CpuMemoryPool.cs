using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Forge.Tensors;

/// <summary>
/// Recycles the pinned arrays behind CPU storages. A training step allocates the same activations and gradients every step;
/// fresh memory from the runtime costs page faults, zeroing and garbage collections each time, while an array taken back is
/// ready at once. Arrays come back when a <see cref="TensorScope"/> or the autograd engine releases a storage early. A large
/// storage (at least <see cref="MinimumBytes"/>) also owns its array through a lease, whose finalizer returns the array here
/// after the garbage collector finds the storage unreachable; a small one that is never released is simply collected. The pool
/// holds at most <see cref="CapacityBytes"/>, and drops the arrays of sizes nobody asked for during the last few collections.
/// </summary>
internal static partial class CpuMemoryPool
{
    /// <summary>Smaller arrays have no lease (a finalizer per small tensor would cost more than it saves): only released ones return.</summary>
    public const long MinimumBytes = 64 * 1024;

    /// <summary>Fresh bytes allocated for large storages after which the pool asks for a collection (see <see cref="Rent"/>).</summary>
    private const long CollectAfterBytes = 16L << 20;

    /// <summary>Collections a size may go unused before its pooled arrays are dropped.</summary>
    private const long IdleCollections = 4;

    private static readonly ConcurrentDictionary<int, SizeClass> Sizes = new();
    private static long pooledBytes, freshBytes, collections;

    /// <summary>
    /// The most bytes the pool holds: a quarter of the memory available to the process, at most 16 GiB. Arrays only come back
    /// after a storage used them, so the pool never holds more than the largest set of storages alive at once (a training
    /// step's activations and temporaries); the bound only keeps a huge step from pinning most of the machine's memory.
    /// </summary>
    public static long CapacityBytes { get; } = Math.Min(16L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4);

    /// <summary>Bytes held for reuse now.</summary>
    public static long PooledBytes => Interlocked.Read(ref pooledBytes);

    /// <summary>
    /// A pinned array of at least <paramref name="words"/> longs (cleared when <paramref name="zeroed"/>), and the object that owns it:
    /// a <see cref="Lease"/> for a large array, the array itself for a small one. Either goes back through <see cref="Release"/>.
    /// </summary>
    public static object Rent(int words, bool zeroed, out long[] array)
    {
        words = ArrayWords(words);
        long bytes = words * 8L;
        SizeClass size = Sizes.GetOrAdd(words, _ => new SizeClass());
        Interlocked.Exchange(ref size.LastUsed, Interlocked.Read(ref collections));
        if (size.Arrays.TryTake(out long[]? reused))
        {
            Interlocked.Add(ref pooledBytes, -bytes);
            if (zeroed) Array.Clear(reused);
            array = reused;
        }
        else
        {
            // Pooled arrays keep the heap large, so the collector's own schedule would let dead storages pile up: after every
            // CollectAfterBytes of fresh large arrays a background collection is started, and the leases it finds refill the pool.
            if (bytes >= MinimumBytes && Interlocked.Add(ref freshBytes, bytes) > CollectAfterBytes) Collect();
            array = Allocate(words, zeroed);
        }
        return bytes < MinimumBytes ? array : new Lease(array);
    }

    /// <summary>
    /// The length of the array <see cref="Rent"/> gives for <paramref name="words"/>: small sizes change from call to call
    /// (attention over a growing cache), so they are pooled by powers of two.
    /// </summary>
    public static int ArrayWords(int words) => words * 8L < MinimumBytes ? (int)BitOperations.RoundUpToPowerOf2((uint)words) : words;

    /// <summary>Takes back the array of an owner that <see cref="Rent"/> returned; the caller must not touch the array again.</summary>
    public static void Release(object owner)
    {
        if (owner is Lease lease) lease.Dispose();
        else Return((long[])owner);
    }

    /// <summary>The size of a transparent huge page; arrays of at least two ask Linux for them (see <see cref="Allocate"/>).</summary>
    private const long HugePageBytes = 2L << 20;

    /// <summary>
    /// A fresh pinned array. On Linux a large one is advised to use 2 MiB pages before its memory is first written (then
    /// cleared when asked): streaming hundreds of megabytes of weights or activations on 4 KiB pages misses the translation
    /// buffer once per page, which costs most under a hypervisor. Where the advice is refused, the array is simply used as is.
    /// </summary>
    private static unsafe long[] Allocate(int words, bool zeroed)
    {
        long bytes = words * 8L;
        if (bytes < 2 * HugePageBytes || !OperatingSystem.IsLinux())
            return zeroed ? GC.AllocateArray<long>(words, pinned: true) : GC.AllocateUninitializedArray<long>(words, pinned: true);
        long[] array = GC.AllocateUninitializedArray<long>(words, pinned: true);
        long start = (long)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        long first = (start + HugePageBytes - 1) & ~(HugePageBytes - 1), end = (start + bytes) & ~(HugePageBytes - 1);
        const int adviseHugePage = 14;
        _ = Advise((nint)first, (nuint)(end - first), adviseHugePage);
        if (zeroed) Array.Clear(array);
        return array;
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Advise(nint address, nuint length, int advice);

    private static void Collect()
    {
        Interlocked.Exchange(ref freshBytes, 0);
        long now = Interlocked.Increment(ref collections);
        foreach (var (words, size) in Sizes)
        {
            if (now - Interlocked.Read(ref size.LastUsed) <= IdleCollections) continue;
            while (size.Arrays.TryTake(out _)) Interlocked.Add(ref pooledBytes, -words * 8L);
        }
        GC.Collect(2, GCCollectionMode.Forced, blocking: false, compacting: false);
    }

    private static void Return(long[] array)
    {
        long bytes = array.Length * 8L;
        if (Interlocked.Add(ref pooledBytes, bytes) > CapacityBytes)
        {
            Interlocked.Add(ref pooledBytes, -bytes);
            return;
        }
        Sizes.GetOrAdd(array.Length, _ => new SizeClass()).Arrays.Add(array);
    }

    /// <summary>The pooled arrays of one length, and the collection count when that length was last asked for.</summary>
    private sealed class SizeClass
    {
        public readonly ConcurrentBag<long[]> Arrays = new();
        public long LastUsed;
    }

    /// <summary>Owns one pooled array for a storage's lifetime and returns it to the pool when collected, or earlier when released.</summary>
    internal sealed class Lease(long[] array) : IDisposable
    {
        /// <summary>The array owned.</summary>
        public long[] Array => array;

        /// <summary>Returns the array now (a <see cref="TensorScope"/> ended); the finalizer then has nothing left to do.</summary>
        public void Dispose()
        {
            GC.SuppressFinalize(this);
            CpuMemoryPool.Return(array);
        }

        ~Lease() => CpuMemoryPool.Return(array);
    }
}

namespace Forge.Tensors;

/// <summary>
/// A flat block of elements of one dtype on one device. Tensors are views (shape, strides, offset) over a storage.
/// CPU storage is a pinned managed array, so the garbage collector frees it and pointers stay stable for kernels;
/// a storage can also wrap memory owned by someone else (a memory-mapped file), which it keeps alive.
/// </summary>
public sealed unsafe class Storage
{
    private static long created;

    private object? owner;
    private void* pointer;
    private bool released;

    private Storage(void* pointer, long length, DType dtype, Device device, object? owner, bool pooled)
    {
        this.pointer = pointer;
        Length = length;
        DType = dtype;
        Device = device;
        this.owner = owner;
        Pooled = pooled;
    }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>Where the memory lives.</summary>
    public Device Device { get; }

    /// <summary>Size in bytes.</summary>
    public long ByteLength => Length * DType.SizeOf();

    /// <summary>
    /// Address of element 0; a storage released by a <see cref="TensorScope"/> throws. It changes only when a kept gradient
    /// buffer takes over a new gradient's memory during backward (<see cref="TrySwapMemory"/>), never while a kernel runs.
    /// </summary>
    internal void* Pointer => released ? throw ReleasedError() : pointer;

    /// <summary>True once a <see cref="TensorScope"/> gave the memory back to the pool.</summary>
    public bool IsReleased => released;

    /// <summary>The order of creation: a storage made after another has a larger serial.</summary>
    internal long Serial { get; } = Interlocked.Increment(ref created);

    /// <summary>The serial the next storage will have at least.</summary>
    internal static long NextSerial => Interlocked.Read(ref created) + 1;

    /// <summary>Set for storages that outlive the scope they were allocated in (gradients, optimizer state, caches).</summary>
    internal bool Kept { get; set; }

    /// <summary>The object that keeps the memory alive (a pinned array or a file mapping).</summary>
    internal object? Owner => owner;

    /// <summary>True when the memory came from <see cref="CpuMemoryPool"/>, which takes it back on <see cref="Release"/>.</summary>
    private bool Pooled { get; }

    /// <summary>The <see cref="StepGraph"/> this storage was allocated in the capture of: only the graph releases it.</summary>
    private StepGraph? graph;

    /// <summary>Set once the capturing graph took this storage's memory back for a later allocation of the capture.</summary>
    private bool recycled;

    private bool OwnedByGraph => graph is not null;

    /// <summary>
    /// Allocates CPU memory for <paramref name="length"/> elements from <see cref="CpuMemoryPool"/>; zeroed when asked. The
    /// <see cref="StepGraph"/> being captured on this thread owns it, or else the innermost <see cref="TensorScope"/>, if any,
    /// releases it when it ends.
    /// </summary>
    internal static Storage AllocateCpu(DType dtype, long length, bool zeroed)
    {
        if (length < 0) throw new ForgeException($"Cannot allocate a storage of {length} elements.");
        long words = (length * dtype.SizeOf() + 7) / 8;
        if (words > Array.MaxLength) throw new ForgeException($"Cannot allocate {length} elements of {dtype}: more than the {Array.MaxLength * 8L} bytes one CPU storage can hold.");
        int size = (int)Math.Max(words, 1);
        StepGraph? capturing = StepGraph.Capturing;
        if (capturing is null || !capturing.TryReuse(size, zeroed, out object? owner, out long[]? array))
        {
            owner = CpuMemoryPool.Rent(size, zeroed, out array);
        }
        void* pointer = System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(array));
        var storage = new Storage(pointer, length, dtype, Device.Cpu, owner, pooled: true);
        if (capturing is not null)
        {
            storage.graph = capturing;
            capturing.Track(storage, zeroed);
        }
        else
        {
            TensorScope.Current?.Track(storage);
        }
        return storage;
    }

    /// <summary>
    /// Gives a pooled array back to the pool now; later access throws. Returns false for memory the pool does not own, and for
    /// memory a <see cref="StepGraph"/> owns (its replays still use it): released while that graph is still being captured, its
    /// memory goes to the graph's own free list, for the capture's later allocations (replays reuse it in the same order).
    /// </summary>
    internal bool Release()
    {
        if (graph is null) return ReleasePooled();
        if (!Kept && !recycled && ReferenceEquals(graph, StepGraph.Capturing))
        {
            recycled = true;
            graph.Recycle(owner!, PooledArray);
        }
        return false;
    }

    /// <summary>The pooled array behind this storage.</summary>
    private long[] PooledArray => owner is CpuMemoryPool.Lease lease ? lease.Array : (long[])owner!;

    /// <summary>
    /// Marks a storage of a disposed graph released, giving its memory back to the pool when <paramref name="returnMemory"/>
    /// (storages of one capture may share memory, which goes back once).
    /// </summary>
    internal void ReleaseFromGraph(bool returnMemory)
    {
        if (released) return;
        released = true;
        if (returnMemory) CpuMemoryPool.Release(owner!);
    }

    private bool ReleasePooled()
    {
        if (released || !Pooled) return false;
        released = true;
        CpuMemoryPool.Release(owner!);
        return true;
    }

    /// <summary>
    /// Exchanges the pooled memory of this storage and <paramref name="other"/> (same dtype, device and length, neither
    /// released), so each now holds the other's elements; false, changing nothing, when either memory is not pooled or belongs to
    /// a <see cref="StepGraph"/> (whose replays run kernels on the storages, not on the memory they held at capture).
    /// </summary>
    internal bool TrySwapMemory(Storage other)
    {
        if (OwnedByGraph || other.OwnedByGraph || released || other.released || !Pooled || !other.Pooled
            || DType != other.DType || Device != other.Device || Length != other.Length) return false;
        (owner, other.owner) = (other.owner, owner);
        void* mine = pointer;
        pointer = other.pointer;
        other.pointer = mine;
        return true;
    }

    private static ForgeException ReleasedError() =>
        new("This tensor's memory was given back when the TensorScope it was created in ended; keep it with TensorScope.Keep, or create it outside the scope.");

    /// <summary>Wraps memory owned by <paramref name="owner"/> (which must keep it valid while it is reachable).</summary>
    internal static Storage Wrap(void* pointer, long length, DType dtype, Device device, object owner) =>
        new(pointer, length, dtype, device, owner, pooled: false);

    /// <summary>The whole storage as a span of <typeparamref name="T"/> (CPU only).</summary>
    internal Span<T> AsSpan<T>() where T : unmanaged
    {
        if (Device.Type != DeviceType.Cpu) throw new ForgeException($"Storage on {Device} cannot be read directly; copy it to the CPU first.");
        return new Span<T>(Pointer, checked((int)(ByteLength / sizeof(T))));
    }
}

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

    /// <summary>
    /// Allocates CPU memory for <paramref name="length"/> elements from <see cref="CpuMemoryPool"/>; zeroed when asked. The
    /// innermost <see cref="TensorScope"/> of this thread, if any, releases it when it ends.
    /// </summary>
    internal static Storage AllocateCpu(DType dtype, long length, bool zeroed)
    {
        if (length < 0) throw new ForgeException($"Cannot allocate a storage of {length} elements.");
        long words = (length * dtype.SizeOf() + 7) / 8;
        if (words > Array.MaxLength) throw new ForgeException($"Cannot allocate {length} elements of {dtype}: more than the {Array.MaxLength * 8L} bytes one CPU storage can hold.");
        object owner = CpuMemoryPool.Rent((int)Math.Max(words, 1), zeroed, out long[] array);
        void* pointer = System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(array));
        var storage = new Storage(pointer, length, dtype, Device.Cpu, owner, pooled: true);
        TensorScope.Current?.Track(storage);
        return storage;
    }

    /// <summary>Gives a pooled array back to the pool now; later access throws. Returns false for memory the pool does not own.</summary>
    internal bool Release()
    {
        if (released || !Pooled) return false;
        released = true;
        CpuMemoryPool.Release(owner!);
        return true;
    }

    /// <summary>
    /// Exchanges the pooled memory of this storage and <paramref name="other"/> (same dtype, device and length, neither
    /// released), so each now holds the other's elements; false, changing nothing, when either memory is not pooled.
    /// </summary>
    internal bool TrySwapMemory(Storage other)
    {
        if (released || other.released || !Pooled || !other.Pooled
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

namespace Forge.Tensors;

/// <summary>
/// Gives the memory of a region's temporary tensors back to the memory pool when the region ends, so that a loop (training
/// steps, decoded tokens) reuses the same memory each iteration instead of leaving it to the garbage collector. .NET frees
/// memory only when the collector runs, which a training step would otherwise trigger many times over; PyTorch frees a
/// tensor as soon as its last reference goes, which this scope reproduces for the loop body.
/// </summary>
/// <remarks>
/// <para>When the scope is disposed, every CPU storage allocated on this thread since <see cref="Begin"/> is released, except
/// those kept: gradients stored in <see cref="Tensor.Grad"/>, parameters, optimizer state, key-value caches and tensors passed
/// to <see cref="Keep"/>. Reading a released tensor afterwards throws a <see cref="ForgeException"/>; it never sees another
/// tensor's data. Read what you need (<see cref="Tensor.Item"/>, <see cref="Tensor.ToArray{T}"/>) before the scope ends.</para>
/// <para>Typical use: <c>using (TensorScope.Begin()) { loss = model.Loss(x, y); loss.Backward(); optimizer.Step(); value = loss.Item(); }</c></para>
/// </remarks>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic]
    private static TensorScope? current;

    /// <summary>The tracking list of this thread's last ended scope, reused by the next one (a decoding loop begins one per token).</summary>
    [ThreadStatic]
    private static List<Storage>? spare;

    private readonly TensorScope? parent;
    private readonly List<Storage> storages;
    private bool disposed;

    private TensorScope(TensorScope? parent)
    {
        this.parent = parent;
        storages = spare ?? [];
        spare = null;
    }

    /// <summary>The innermost scope open on this thread, or null.</summary>
    internal static TensorScope? Current => current;

    /// <summary>Opens a scope on this thread; dispose it (on the same thread) to release its temporaries.</summary>
    public static TensorScope Begin() => current = new TensorScope(current);

    /// <summary>Keeps <paramref name="tensor"/>'s memory valid after every scope ends; returns the tensor.</summary>
    public static Tensor Keep(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.Storage.Kept = true;
        return tensor;
    }

    /// <summary>Number of storages this scope has released so far (0 until it is disposed).</summary>
    public int ReleasedCount { get; private set; }

    internal void Track(Storage storage) => storages.Add(storage);

    /// <summary>Releases the storages allocated in the scope that were not kept, and closes the scope.</summary>
    public void Dispose()
    {
        if (disposed) return;
        if (!ReferenceEquals(current, this)) throw new ForgeException("TensorScopes must be disposed innermost first, on the thread that began them.");
        disposed = true;
        current = parent;
        foreach (Storage storage in storages)
        {
            if (!storage.Kept && storage.Release()) ReleasedCount++;
        }
        storages.Clear();
        spare = storages;
    }
}

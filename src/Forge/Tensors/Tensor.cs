using Forge.Autograd;
using Forge.Backends;

namespace Forge.Tensors;

/// <summary>
/// An n-dimensional strided view over a <see cref="Storage"/>, with reverse-mode autograd.
/// Views (reshape, permute, narrow, expand, ...) share storage; ops allocate new tensors.
/// Op methods are grouped by family in the other parts of this class.
/// </summary>
public partial class Tensor
{
    internal readonly Storage storage;
    internal readonly int[] shape;
    internal readonly long[] strides;
    internal readonly long offset;
    private bool requiresGrad;
    private Tensor? grad;
    private bool gradIsStale;
    private List<Func<Tensor, Tensor?>>? hooks;

    internal Tensor(Storage storage, int[] shape, long[] strides, long offset)
    {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        long count = 1;
        foreach (int size in shape)
        {
            if (size < 0) throw new ForgeException($"Tensor sizes must be non-negative, found shape {Format(shape)}.");
            count *= size;
        }
        Numel = count;
        IsContiguous = ComputeContiguous(shape, strides);
    }

    internal Tensor(Storage storage, int[] shape) : this(storage, shape, ContiguousStrides(shape), 0) { }

    /// <summary>Sizes of the dimensions.</summary>
    public IReadOnlyList<int> Shape => shape;

    /// <summary>Element strides of the dimensions.</summary>
    public IReadOnlyList<long> Strides => strides;

    /// <summary>Offset of the first element in the storage, in elements.</summary>
    public long StorageOffset => offset;

    /// <summary>Number of dimensions.</summary>
    public int Dim => shape.Length;

    /// <summary>Number of elements.</summary>
    public long Numel { get; }

    /// <summary>Element type.</summary>
    public DType DType => storage.DType;

    /// <summary>The device the storage lives on.</summary>
    public Device Device => storage.Device;

    /// <summary>The underlying storage (shared by views).</summary>
    public Storage Storage => storage;

    /// <summary>True when elements are laid out densely in row-major order.</summary>
    public bool IsContiguous { get; }

    /// <summary>Whether this tensor is its whole storage, contiguous from element 0.</summary>
    internal bool OwnsWholeStorage => IsContiguous && offset == 0 && Numel == storage.Length;

    /// <summary>The backend that computes on this tensor's device.</summary>
    internal IBackend Backend => BackendRegistry.For(storage.Device);

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => shape[NormalizeDim(dim)];

    /// <summary>Whether gradients are computed for this tensor. Settable on leaves only.</summary>
    public bool RequiresGrad
    {
        get => requiresGrad || GradFn is not null;
        set
        {
            if (GradFn is not null && !value) throw new ForgeException("RequiresGrad cannot be turned off on a non-leaf tensor; use Detach().");
            if (value && !DType.IsFloatingPoint()) throw new ForgeException($"Only floating-point tensors can require gradients, found {DType}.");
            requiresGrad = value;
        }
    }

    /// <summary>
    /// The accumulated gradient of a leaf (or of a tensor that called <see cref="RetainGrad"/>). Its memory outlives any
    /// <see cref="TensorScope"/>.
    /// </summary>
    public Tensor? Grad
    {
        get
        {
            ZeroStaleGrad();
            return grad;
        }
        set
        {
            if (value is not null) value.Storage.Kept = true;
            grad = value;
            gradIsStale = false;
        }
    }

    /// <summary>
    /// Zeroes <see cref="Grad"/> lazily: the buffer is kept, and the next backward writes into it instead of adding (or it is
    /// cleared when read first), which saves a pass over every gradient each step.
    /// </summary>
    internal void ZeroGradKeepingBuffer() => gradIsStale = grad is not null;

    private void ZeroStaleGrad()
    {
        if (!gradIsStale) return;
        gradIsStale = false;
        grad!.Zero();
    }

    private void MarkGradWritten() => gradIsStale = false;

    /// <summary>Work that sets <see cref="Grad"/> to <paramref name="value"/> (a step graph's replay repeats it).</summary>
    internal Action GradSetter(Tensor value) => () => Grad = value;

    /// <summary>
    /// Adds <paramref name="value"/> to the gradient in place, or copies it over a gradient zeroed lazily; false when there is
    /// none. When <paramref name="disposable"/> (nothing else will read <paramref name="value"/>), the copy is a swap of memory
    /// instead: the gradient takes value's memory and value is left with the gradient's old elements.
    /// </summary>
    internal bool AccumulateIntoGrad(Tensor value, bool disposable)
    {
        if (grad is null) return false;
        StepGraph? graph = StepGraph.Capturing;
        if (gradIsStale && graph is not null && disposable && value.OwnsWholeStorage && value.DType == grad.DType && value.Shape.SequenceEqual(grad.Shape))
        {
            // Captured: the gradient becomes the tensor its kernel writes (set again at each replay), instead of a copy per replay.
            Grad = value;
            graph.AddHostWork(GradSetter(value));
            return true;
        }
        if (gradIsStale)
        {
            // A replay writes the gradient whether or not it was zeroed since, so it only has to clear the flag.
            graph?.AddHostWork(MarkGradWritten);
            gradIsStale = false;
            if (!(disposable && grad.OwnsWholeStorage && value.OwnsWholeStorage && grad.Shape.SequenceEqual(value.Shape)
                && grad.storage.TrySwapMemory(value.storage)))
            {
                grad.CopyFrom(value);
            }
        }
        else
        {
            // A replay adds to the gradient: one zeroed lazily since (ZeroGrad between replays) is cleared first.
            graph?.AddHostWork(ZeroStaleGrad);
            grad.AddInPlace(value);
        }
        return true;
    }

    /// <summary>The node that produced this tensor, or null for a leaf.</summary>
    public GradNode? GradFn { get; internal set; }

    /// <summary>True for tensors created by the user rather than by a recorded op.</summary>
    public bool IsLeaf => GradFn is null;

    internal bool RetainsGrad { get; private set; }

    internal IReadOnlyList<Func<Tensor, Tensor?>>? Hooks => hooks;

    /// <summary>Keeps the gradient of this non-leaf tensor in <see cref="Grad"/> after backward.</summary>
    public void RetainGrad() => RetainsGrad = true;

    /// <summary>
    /// Registers a hook called with this tensor's gradient during backward; a non-null return value replaces the gradient.
    /// Returns an action that removes the hook.
    /// </summary>
    public Action RegisterHook(Func<Tensor, Tensor?> hook)
    {
        if (!RequiresGrad) throw new ForgeException("Cannot register a gradient hook on a tensor that does not require gradients.");
        hooks ??= [];
        hooks.Add(hook);
        return () => hooks.Remove(hook);
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor (for chaining).</summary>
    public Tensor RequireGrad(bool value = true)
    {
        RequiresGrad = value;
        return this;
    }

    /// <summary>
    /// Runs backpropagation from this tensor. Without <paramref name="gradient"/> the tensor must hold one element.
    /// With <paramref name="createGraph"/> the gradients are themselves recorded (for second derivatives) and the graph is kept.
    /// </summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false) =>
        Engine.Backward(this, gradient, retainGraph, createGraph);

    /// <summary>A tensor sharing this storage, cut off from the graph.</summary>
    public Tensor Detach() => new(storage, shape, strides, offset);

    /// <summary>Normalizes a possibly negative dimension index.</summary>
    /// <summary>
    /// This tensor's elements laid out contiguously for a kernel to read: the tensor itself when it already is (kernels only
    /// read memory, so it need not be detached), otherwise a contiguous copy outside the graph.
    /// </summary>
    internal Tensor ContiguousForKernel() => IsContiguous ? this : Detach().Contiguous();

    /// <summary>This tensor as a kernel reads it with shape <paramref name="target"/>: itself, or a broadcast view outside the graph.</summary>
    internal Tensor KernelOperand(int[] target) => shape.AsSpan().SequenceEqual(target) ? this : Detach().BroadcastTo(target);

    internal int NormalizeDim(int dim) => NormalizeDim(dim, shape.Length);

    internal static int NormalizeDim(int dim, int rank)
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= Math.Max(rank, 1)) throw new ForgeException($"Dimension {dim} is out of range for a tensor of rank {rank}.");
        return d;
    }

    /// <summary>Row-major strides for a shape.</summary>
    internal static long[] ContiguousStrides(int[] shape)
    {
        var cache = stridesCache ??= new (int[] Shape, long[] Strides)[StridesCacheSize];
        int hash = shape.Length;
        foreach (int size in shape) hash = hash * 31 + size;
        ref var entry = ref cache[hash & (StridesCacheSize - 1)];
        if (entry.Shape is { } cached && cached.AsSpan().SequenceEqual(shape)) return entry.Strides;
        var result = new long[shape.Length];
        long stride = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            result[i] = stride;
            stride *= Math.Max(shape[i], 1);
        }
        entry = ((int[])shape.Clone(), result);
        return result;
    }

    /// <summary>
    /// This thread's recently computed contiguous strides by shape: a training step or a decoded token creates tensors of the
    /// same few shapes again and again, and they can share one strides array (tensors never change theirs).
    /// </summary>
    [ThreadStatic]
    private static (int[] Shape, long[] Strides)[]? stridesCache;

    private const int StridesCacheSize = 256;

    private static bool ComputeContiguous(int[] shape, long[] strides)
    {
        long expected = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] == 1) continue;
            if (strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /// <summary>Formats a shape as [a, b, c].</summary>
    internal static string Format(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>
    /// Pointer to the first element (CPU kernels). The pointer does not keep the memory alive: keep the tensor reachable
    /// (<see cref="GC.KeepAlive"/>) until the last access through it.
    /// </summary>
    internal unsafe T* Ptr<T>() where T : unmanaged => (T*)storage.Pointer + offset;

    /// <summary>The elements of a contiguous CPU tensor as a span, which, like <see cref="Ptr{T}"/>, does not keep the tensor alive.</summary>
    internal unsafe Span<T> Span<T>() where T : unmanaged
    {
        if (!IsContiguous) throw new ForgeException("Span() needs a contiguous tensor; call Contiguous() first.");
        if (storage.Device.Type != DeviceType.Cpu) throw new ForgeException($"Cannot read a tensor on {Device} directly; call To(Device.Cpu) first.");
        return new Span<T>(Ptr<T>(), checked((int)Numel));
    }

    /// <inheritdoc />
    public override string ToString()
    {
        string grad = GradFn is not null ? $", grad_fn={GradFn.Name}" : RequiresGrad ? ", requires_grad" : "";
        string values = "";
        if (Numel <= 16 && Device.Type == DeviceType.Cpu)
        {
            var data = DType == DType.Float32 || DType.IsFloatingPoint() ? To(DType.Float32).ToArray<float>().Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture))
                : To(DType.Int64).ToArray<long>().Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture));
            values = " {" + string.Join(", ", data) + "}";
        }
        return $"Tensor{Format(shape)} {DType} on {Device}{grad}{values}";
    }
}

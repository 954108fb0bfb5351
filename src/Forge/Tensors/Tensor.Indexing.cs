namespace Forge.Tensors;

public partial class Tensor
{
    /// <summary>Joins tensors along an existing dimension; every other dimension must match (PyTorch's cat). Differentiable.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ForgeException("Cat needs at least one tensor, found an empty list.");
        Tensor[] inputs = [.. tensors];
        Tensor first = inputs[0] ?? throw new ArgumentNullException(nameof(tensors), "Cat found a null tensor at position 0.");
        if (first.Dim == 0) throw new ForgeException("Cat cannot join zero-dimensional tensors; use Stack to add a dimension.");
        int d = first.NormalizeDim(dim);
        var starts = new int[inputs.Length];
        int total = 0;
        for (int t = 0; t < inputs.Length; t++)
        {
            Tensor x = inputs[t] ?? throw new ArgumentNullException(nameof(tensors), $"Cat found a null tensor at position {t}.");
            if (x.DType != first.DType || x.Device != first.Device)
                throw new ForgeException($"Cat needs one dtype and device: tensor 0 is {first.DType} on {first.Device}, tensor {t} is {x.DType} on {x.Device}.");
            bool matches = x.Dim == first.Dim && Enumerable.Range(0, x.Dim).All(k => k == d || x.shape[k] == first.shape[k]);
            if (!matches)
                throw new ForgeException($"Cat along dimension {dim} needs equal sizes in the other dimensions: tensor 0 has shape {Format(first.shape)}, tensor {t} has shape {Format(x.shape)}.");
            starts[t] = total;
            total += x.shape[d];
        }
        int[] outShape = (int[])first.shape.Clone();
        outShape[d] = total;
        Tensor result = Empty(outShape, first.DType, first.Device);
        for (int t = 0; t < inputs.Length; t++) result.Narrow(d, starts[t], inputs[t].shape[d]).CopyFrom(inputs[t]);
        return Record(result, "CatBackward",
            g => inputs.Select((x, t) => x.RequiresGrad ? g.Narrow(d, starts[t], x.shape[d]) : null).ToArray(), inputs);
    }

    /// <summary>Joins tensors of one shape along a new dimension <paramref name="dim"/> (PyTorch's stack). Differentiable.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ForgeException("Stack needs at least one tensor, found an empty list.");
        Tensor first = tensors[0];
        int rank = first.Dim;
        int d = dim < 0 ? dim + rank + 1 : dim;
        if (d < 0 || d > rank) throw new ForgeException($"Stack dimension {dim} is out of range for tensors of rank {rank} (valid: {-rank - 1} to {rank}).");
        for (int t = 1; t < tensors.Count; t++)
        {
            if (!tensors[t].shape.SequenceEqual(first.shape))
                throw new ForgeException($"Stack needs tensors of one shape: tensor 0 has shape {Format(first.shape)}, tensor {t} has shape {Format(tensors[t].shape)}.");
        }
        return Cat(tensors.Select(t => t.Unsqueeze(d)).ToArray(), d);
    }

    /// <summary>Views of consecutive pieces of <paramref name="splitSize"/> along a dimension; the last piece may be smaller.</summary>
    public Tensor[] Split(int splitSize, int dim = 0)
    {
        int d = SplitDim(dim);
        int size = shape[d];
        if (splitSize <= 0) throw new ForgeException($"Split size must be positive, found {splitSize}.");
        int count = Math.Max(1, (size + splitSize - 1) / splitSize);
        var pieces = new Tensor[count];
        for (int i = 0; i < count; i++) pieces[i] = Narrow(d, i * splitSize, Math.Min(splitSize, size - i * splitSize));
        return pieces;
    }

    /// <summary>Views of consecutive pieces with the given sizes along a dimension; the sizes must add up to its length.</summary>
    public Tensor[] Split(int[] sizes, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        int d = SplitDim(dim);
        if (sizes.Any(s => s < 0) || sizes.Sum() != shape[d])
            throw new ForgeException($"Split sizes {Format(sizes)} must be non-negative and add up to {shape[d]}, the size of dimension {dim} of shape {Format(shape)}.");
        var pieces = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            pieces[i] = Narrow(d, start, sizes[i]);
            start += sizes[i];
        }
        return pieces;
    }

    /// <summary>
    /// Splits a dimension into at most <paramref name="chunks"/> views of ⌈size / chunks⌉ elements (the last may be smaller,
    /// and fewer pieces come back when the size does not need them all), like PyTorch's chunk.
    /// </summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        if (chunks <= 0) throw new ForgeException($"Chunk count must be positive, found {chunks}.");
        int size = shape[SplitDim(dim)];
        return Split(Math.Max(1, (size + chunks - 1) / chunks), dim);
    }

    /// <summary>
    /// out[p] = this[p with dimension <paramref name="dim"/> replaced by index[p]]. The Int64 index has this tensor's rank and
    /// is no larger in the other dimensions; the result has its shape. Differentiable (the gradient scatter-adds).
    /// </summary>
    public Tensor Gather(int dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        int d = NormalizeDim(dim);
        CheckScatterIndex("Gather", d, index, shape, null);
        return GatherCore(this, d, index.Detach().Contiguous());
    }

    /// <summary>
    /// this + scattered source: out[p with dimension <paramref name="dim"/> replaced by index[p]] += source[p] for every
    /// position p of the Int64 index (repeated indices add up). Out of place and differentiable in this tensor and source.
    /// </summary>
    public Tensor ScatterAdd(int dim, Tensor index, Tensor source)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(source);
        RequireFloat32("ScatterAdd");
        source.RequireFloat32("ScatterAdd");
        int d = NormalizeDim(dim);
        CheckScatterIndex("ScatterAdd", d, index, shape, source.shape);
        return ScatterAddCore(this, d, index.Detach().Contiguous(), source);
    }

    /// <summary>The slices at the given Int64 indices (1-D) along a dimension, in order; repeats allowed. Differentiable (index-add).</summary>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        int d = NormalizeDim(dim);
        if (index.DType != DType.Int64) throw new ForgeException($"IndexSelect needs an Int64 index, found {index.DType}.");
        if (index.Dim > 1) throw new ForgeException($"IndexSelect needs a 1-D index, found shape {Format(index.shape)}.");
        Tensor flat = index.Detach().Contiguous().Reshape(-1);
        int size = shape[d];
        string shapeText = Format(shape);
        CheckIndices(flat, size, bad => $"IndexSelect index {bad} is out of range for dimension {dim} of size {size} (shape {shapeText}).");
        return IndexSelectCore(this, d, flat);
    }

    /// <summary>
    /// Overwrites, in place and without recording gradients, the slices at the given Int64 indices (1-D, no repeats) along a
    /// dimension with the slices of <paramref name="source"/> in order (PyTorch's <c>index_copy_</c>); returns this tensor.
    /// </summary>
    public Tensor IndexCopyInPlace(int dim, Tensor index, Tensor source)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(source);
        int d = NormalizeDim(dim);
        if (index.DType != DType.Int64 || index.Dim > 1) throw new ForgeException($"IndexCopy needs a 1-D Int64 index, found {index.DType} {Format(index.shape)}.");
        if (!IsContiguous) throw new ForgeException($"IndexCopy writes into a contiguous tensor, found one of shape {Format(shape)} with strides.");
        int[] expected = [.. shape];
        expected[d] = (int)index.Numel;
        if (source.DType != DType || !source.shape.AsSpan().SequenceEqual(expected))
            throw new ForgeException($"IndexCopy into {DType} {Format(shape)} along dimension {dim} with {index.Numel} indices needs a {DType} source of shape {Format(expected)}, found {source.DType} {Format(source.shape)}.");
        Tensor flat = index.Detach().Contiguous().Reshape(-1);
        int size = shape[d];
        string shapeText = Format(shape);
        CheckIndices(flat, size, bad => $"IndexCopy index {bad} is out of range for dimension {dim} of size {size} (shape {shapeText}).");
        Backend.IndexCopy(this, d, flat, source.Detach().Contiguous());
        return this;
    }

    /// <summary>Zeros of <paramref name="shape"/> plus source slices added at index along <paramref name="dim"/> (Float32; indices validated). Differentiable in source.</summary>
    internal static Tensor IndexAddInto(int[] shape, int dim, Tensor index, Tensor source)
    {
        Tensor result = Zeros(shape, DType.Float32, source.Device);
        result.Backend.IndexAdd(result, dim, index, source.Detach().Contiguous());
        return Record(result, "IndexAddBackward", g => [IndexSelectCore(g, dim, index)], source);
    }

    /// <summary>
    /// Throws a <see cref="ForgeException"/> with the message <paramref name="error"/> makes of the first value of a contiguous
    /// Int64 tensor outside [0, size); a <see cref="StepGraph"/> being captured checks again at each replay (kernels index
    /// memory with the values unchecked).
    /// </summary>
    internal static void CheckIndices(Tensor index, long size, Func<long, string> error)
    {
        ThrowIfOutside(index, size, error);
        StepGraph.Capturing?.AddHostWork(CheckIndicesAction(index, size, error));
    }

    private static Action CheckIndicesAction(Tensor index, long size, Func<long, string> error) => () => ThrowIfOutside(index, size, error);

    private static void ThrowIfOutside(Tensor index, long size, Func<long, string> error)
    {
        if (FirstIndexOutside(index, size) is long bad) throw new ForgeException(error(bad));
    }

    /// <summary>The first value of a contiguous Int64 tensor outside [0, size), or null when all are inside.</summary>
    private static long? FirstIndexOutside(Tensor index, long size)
    {
        long? outside = null;
        foreach (long value in index.Span<long>())
        {
            if (value < 0 || value >= size)
            {
                outside = value;
                break;
            }
        }
        GC.KeepAlive(index);
        return outside;
    }

    private static Tensor GatherCore(Tensor x, int dim, Tensor index)
    {
        Tensor result = Empty(index.shape, x.DType, x.Device);
        x.Backend.Gather(x.Detach(), dim, index, result);
        int[] inputShape = x.shape;
        return Record(result, "GatherBackward", g => [ScatterAddCore(Zeros(inputShape, g.DType, g.Device), dim, index, g)], x);
    }

    private static Tensor ScatterAddCore(Tensor x, int dim, Tensor index, Tensor source)
    {
        Tensor result = x.Detach().Clone();
        x.Backend.ScatterAdd(result, dim, index, source.Detach());
        return Record(result, "ScatterAddBackward", g => [x.RequiresGrad ? g : null, source.RequiresGrad ? ScatterSourceGrad(g, dim, index, source.shape) : null], x, source);
    }

    /// <summary>The gradient of a scatter-add's source: the output gradient gathered at index, zero where the source was not read.</summary>
    private static Tensor ScatterSourceGrad(Tensor g, int dim, Tensor index, int[] sourceShape)
    {
        Tensor gathered = GatherCore(g, dim, index);
        if (index.shape.SequenceEqual(sourceShape)) return gathered;
        Tensor full = Zeros(sourceShape, g.DType, g.Device);
        Tensor region = full;
        for (int k = 0; k < sourceShape.Length; k++) region = region.Narrow(k, 0, index.shape[k]);
        region.CopyFrom(gathered);
        return full;
    }

    private static Tensor IndexSelectCore(Tensor x, int dim, Tensor index)
    {
        int[] outShape = (int[])x.shape.Clone();
        outShape[dim] = (int)index.Numel;
        Tensor result = Empty(outShape, x.DType, x.Device);
        x.Backend.IndexSelect(x.Detach().Contiguous(), dim, index, result);
        int[] inputShape = x.shape;
        return Record(result, "IndexSelectBackward", g => [IndexAddInto(inputShape, dim, index, g)], x);
    }

    private int SplitDim(int dim) =>
        Dim == 0 ? throw new ForgeException("Cannot split a zero-dimensional tensor.") : NormalizeDim(dim);

    /// <summary>Validates a gather/scatter index: Int64, same rank, within the target (and source) sizes, values in range.</summary>
    private static void CheckScatterIndex(string op, int dim, Tensor index, int[] target, int[]? source)
    {
        if (index.DType != DType.Int64) throw new ForgeException($"{op} needs an Int64 index, found {index.DType}.");
        if (index.Dim != target.Length)
            throw new ForgeException($"{op} needs an index with the tensor's rank {target.Length}, found index shape {Format(index.shape)}.");
        if (source is not null && source.Length != target.Length)
            throw new ForgeException($"{op} needs a source with the tensor's rank {target.Length}, found source shape {Format(source)}.");
        for (int k = 0; k < target.Length; k++)
        {
            if ((k != dim && index.shape[k] > target[k]) || (source is not null && index.shape[k] > source[k]))
                throw new ForgeException($"{op} index shape {Format(index.shape)} is larger than the tensor's {Format(target)}"
                    + (source is null ? "" : $" or the source's {Format(source)}") + $" in dimension {k}.");
        }
        int size = target[dim];
        CheckIndices(index.Detach().Contiguous(), size, bad => $"{op} index {bad} is out of range for dimension {dim} of size {size}.");
    }
}

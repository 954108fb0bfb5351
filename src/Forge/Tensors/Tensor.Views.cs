using Forge.Autograd;

namespace Forge.Tensors;

public partial class Tensor
{
    /// <summary>A view with a new shape over the same elements; one size may be -1. Needs a contiguous tensor.</summary>
    public Tensor View(params int[] newShape)
    {
        int[] dims = InferShape(newShape);
        if (!IsContiguous) throw new ForgeException($"View({Format(newShape)}) needs a contiguous tensor; use Reshape() or Contiguous().");
        return RecordView(new Tensor(storage, dims, ContiguousStrides(dims), offset));
    }

    /// <summary><paramref name="view"/> (this tensor's elements in another shape), recorded as <paramref name="name"/> when this tensor is.</summary>
    private Tensor RecordView(Tensor view, string name = "ViewBackward") => Tracks(this) ? RecordReshape(view, name, shape) : view;

    private Tensor RecordReshape(Tensor view, string name, int[] original) => Record(view, name, g => [g.Reshape(original)], this);

    /// <summary>
    /// A tensor with a new shape; a view when possible (always for a contiguous tensor, and for a strided one whose merged or
    /// split dimensions are laid out compatibly, as in PyTorch), otherwise a copy. One size may be -1.
    /// </summary>
    public Tensor Reshape(params int[] newShape)
    {
        if (IsContiguous) return View(newShape);
        int[] dims = InferShape(newShape);
        if (ViewStrides(dims) is not long[] viewStrides) return Contiguous().View(dims);
        return RecordView(new Tensor(storage, dims, viewStrides, offset));
    }

    /// <summary>
    /// The strides that show this tensor's elements with shape <paramref name="dims"/> without copying, or null when no strides
    /// can (PyTorch's computeStride: each run of dimensions that is contiguous within itself may be split or merged).
    /// </summary>
    private long[]? ViewStrides(int[] dims)
    {
        var result = new long[dims.Length];
        if (Numel == 0 || Dim == 0)
        {
            if (Numel == 0) return null;
            Array.Fill(result, 1L);
            return result;
        }
        int viewDim = dims.Length - 1;
        long chunkStride = strides[^1], tensorCount = 1, viewCount = 1;
        for (int d = Dim - 1; d >= 0; d--)
        {
            tensorCount *= shape[d];
            if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorCount * chunkStride))
            {
                while (viewDim >= 0 && (viewCount < tensorCount || dims[viewDim] == 1))
                {
                    result[viewDim] = viewCount * chunkStride;
                    viewCount *= dims[viewDim];
                    viewDim--;
                }
                if (viewCount != tensorCount) return null;
                if (d > 0)
                {
                    chunkStride = strides[d - 1];
                    tensorCount = 1;
                    viewCount = 1;
                }
            }
        }
        return viewDim == -1 ? result : null;
    }

    /// <summary>Collapses dimensions <paramref name="startDim"/>..<paramref name="endDim"/> into one.</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Dim == 0) return Reshape(1);
        int s = NormalizeDim(startDim), e = NormalizeDim(endDim);
        if (s > e) throw new ForgeException($"Flatten start dimension {startDim} comes after end dimension {endDim}.");
        var dims = new List<int>();
        for (int i = 0; i < s; i++) dims.Add(shape[i]);
        int merged = 1;
        for (int i = s; i <= e; i++) merged *= shape[i];
        dims.Add(merged);
        for (int i = e + 1; i < Dim; i++) dims.Add(shape[i]);
        return Reshape([.. dims]);
    }

    /// <summary>Reorders dimensions: result dimension i is this tensor's dimension dims[i].</summary>
    public Tensor Permute(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length != Dim) throw new ForgeException($"Permute needs {Dim} dimensions, found {dims.Length}.");
        var inverse = new int[Dim];
        inverse.AsSpan().Fill(-1);
        var viewShape = new int[Dim];
        var viewStrides = new long[Dim];
        for (int i = 0; i < Dim; i++)
        {
            int d = NormalizeDim(dims[i]);
            if (inverse[d] >= 0) throw new ForgeException($"Permute dimensions {Format(dims)} repeat a dimension.");
            inverse[d] = i;
            viewShape[i] = shape[d];
            viewStrides[i] = strides[d];
        }
        var view = new Tensor(storage, viewShape, viewStrides, offset);
        return Tracks(this) ? RecordPermute(view, inverse) : view;
    }

    private Tensor RecordPermute(Tensor view, int[] inverse) => Record(view, "PermuteBackward", g => [g.Permute(inverse)], this);

    /// <summary>Swaps two dimensions.</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        var order = new int[Dim];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        int a = NormalizeDim(dim0), b = NormalizeDim(dim1);
        (order[a], order[b]) = (order[b], order[a]);
        return Permute(order);
    }

    /// <summary>The transpose of the last two dimensions (PyTorch's mT).</summary>
    public Tensor MT => Transpose(-2, -1);

    /// <summary>The elements start..start+length-1 of one dimension, as a view (a negative start counts from the end, like torch.narrow).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = NormalizeDim(dim);
        int size = shape[d];
        long s = start < 0 ? (long)start + size : start;
        if (s < 0 || length < 0 || s + length > size)
            throw new ForgeException($"Narrow(start {start}, length {length}) is out of range for dimension {dim} of size {size} (shape {Format(shape)}).");
        return Slice(d, (int)s, (int)s + length);
    }

    /// <summary>Elements start, start+step, ... below end of one dimension, as a view (negative start/end count from the end).</summary>
    public Tensor Slice(int dim, int start, int end, int step = 1)
    {
        int d = NormalizeDim(dim);
        int size = shape[d];
        if (step <= 0) throw new ForgeException($"Slice step must be positive, found {step}.");
        int s = start < 0 ? start + size : start, e = end < 0 ? end + size : end;
        e = Math.Min(e, size);
        if (s < 0 || s > size || e < s) throw new ForgeException($"Slice [{start}, {end}) is out of range for dimension {dim} of size {size}.");
        int length = (e - s + step - 1) / step;
        int[] dims = (int[])shape.Clone();
        long[] st = (long[])strides.Clone();
        dims[d] = length;
        st[d] = strides[d] * step;
        var view = new Tensor(storage, dims, st, offset + s * strides[d]);
        return Tracks(this) ? RecordSlice(view, d, s, e, step) : view;
    }

    private Tensor RecordSlice(Tensor view, int d, int s, int e, int step)
    {
        int[] original = shape;
        Tensor result = Record(view, "SliceBackward", g =>
        {
            Tensor full = Zeros(original, g.DType, g.Device);
            full.Slice(d, s, e, step).CopyFrom(g);
            return [Record(full, "SliceBackwardBackward", gg => [gg.Slice(d, s, e, step)], g)];
        }, this);
        if (result.GradFn is { } node) node.Slice = new SliceOfInput(original, d, s, e, step);
        return result;
    }

    /// <summary>The sub-tensor at <paramref name="index"/> of one dimension, with that dimension removed.</summary>
    public Tensor Select(int dim, int index)
    {
        int d = NormalizeDim(dim);
        int i = index < 0 ? index + shape[d] : index;
        if (i < 0 || i >= shape[d]) throw new ForgeException($"Index {index} is out of range for dimension {dim} of size {shape[d]}.");
        return Narrow(d, i, 1).Squeeze(d);
    }

    /// <summary>Removes dimension <paramref name="dim"/>, which must have size 1.</summary>
    public Tensor Squeeze(int dim)
    {
        int d = NormalizeDim(dim);
        if (shape[d] != 1) return this;
        int[] dims = [.. shape.AsSpan(0, d), .. shape.AsSpan(d + 1)];
        long[] st = [.. strides.AsSpan(0, d), .. strides.AsSpan(d + 1)];
        return RecordView(new Tensor(storage, dims, st, offset), "SqueezeBackward");
    }

    /// <summary>Removes every dimension of size 1.</summary>
    public Tensor Squeeze()
    {
        int[] dims = shape.Where(s => s != 1).ToArray();
        return Reshape(dims);
    }

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/>.</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = dim < 0 ? dim + Dim + 1 : dim;
        if (d < 0 || d > Dim) throw new ForgeException($"Unsqueeze dimension {dim} is out of range for a tensor of rank {Dim}.");
        int[] dims = [.. shape.AsSpan(0, d), 1, .. shape.AsSpan(d)];
        long[] st = [.. strides.AsSpan(0, d), d < Dim ? strides[d] * shape[d] : 1, .. strides.AsSpan(d)];
        var view = new Tensor(storage, dims, st, offset);
        return Tracks(this) ? RecordUnsqueeze(view, d) : view;
    }

    private Tensor RecordUnsqueeze(Tensor view, int d) => Record(view, "UnsqueezeBackward", g => [g.Squeeze(d)], this);

    /// <summary>A broadcast view with the given sizes (-1 keeps a size); size-1 dimensions repeat without copying.</summary>
    public Tensor Expand(params int[] sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Length < Dim) throw new ForgeException($"Expand to {Format(sizes)} has fewer dimensions than the tensor's {Format(shape)}.");
        if (sizes.AsSpan().SequenceEqual(shape)) return this;
        int lead = sizes.Length - Dim;
        var dims = new int[sizes.Length];
        var st = new long[sizes.Length];
        for (int i = 0; i < sizes.Length; i++)
        {
            int own = i >= lead ? shape[i - lead] : 1;
            int want = sizes[i] == -1 ? own : sizes[i];
            if (i < lead && sizes[i] == -1) throw new ForgeException($"Expand cannot use -1 for the new leading dimension {i}.");
            if (own != want && own != 1) throw new ForgeException($"Cannot expand shape {Format(shape)} to {Format(sizes)}: dimension {i} has size {own}, expected 1 or {want}.");
            dims[i] = want;
            st[i] = i >= lead && own == want ? strides[i - lead] : 0;
        }
        if (dims.SequenceEqual(shape)) return this;
        int[] original = shape;
        return Record(new Tensor(storage, dims, st, offset), "ExpandBackward", g => [g.SumToShape(original)], this);
    }

    /// <summary>Expands to <paramref name="target"/> following broadcasting rules.</summary>
    public Tensor BroadcastTo(IReadOnlyList<int> target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target is int[] dims && shape.AsSpan().SequenceEqual(dims) ? this : Expand([.. target]);
    }

    /// <summary>The shape two shapes broadcast to (NumPy rules).</summary>
    public static int[] BroadcastShapes(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return BroadcastShapes(a as int[] ?? [.. a], b as int[] ?? [.. b]);
    }

    /// <summary><see cref="BroadcastShapes(IReadOnlyList{int}, IReadOnlyList{int})"/> of two shapes held in spans.</summary>
    internal static int[] BroadcastShapes(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int x = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int y = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (x != y && x != 1 && y != 1)
                throw new ForgeException($"Shapes {Format(a.ToArray())} and {Format(b.ToArray())} cannot be broadcast together (dimension {i}: {x} vs {y}).");
            result[i] = x == 1 ? y : x;
        }
        return result;
    }

    /// <summary>Sums a broadcast gradient back down to <paramref name="target"/> (the inverse of broadcasting).</summary>
    public Tensor SumToShape(IReadOnlyList<int> target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (shape.SequenceEqual(target)) return this;
        int lead = Dim - target.Count;
        if (lead < 0) throw new ForgeException($"Cannot sum shape {Format(shape)} down to the larger {Format(target)}.");
        var dims = new List<int>();
        for (int i = 0; i < Dim; i++)
        {
            if (i < lead || (target[i - lead] == 1 && shape[i] != 1)) dims.Add(i);
        }
        Tensor summed = dims.Count > 0 ? Sum([.. dims], keepDim: true) : this;
        return summed.Reshape([.. target]);
    }

    private int[] InferShape(int[] newShape)
    {
        ArgumentNullException.ThrowIfNull(newShape);
        int[] dims = (int[])newShape.Clone();
        int inferred = Array.IndexOf(dims, -1);
        if (inferred >= 0 && Array.IndexOf(dims, -1, inferred + 1) >= 0) throw new ForgeException($"Only one size may be -1, found {Format(newShape)}.");
        long known = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (i == inferred) continue;
            if (dims[i] < 0) throw new ForgeException($"Invalid size {dims[i]} in shape {Format(newShape)}.");
            known *= dims[i];
        }
        if (inferred >= 0)
        {
            if (known == 0 || Numel % known != 0) throw new ForgeException($"Cannot reshape {Format(shape)} ({Numel} elements) to {Format(newShape)}.");
            dims[inferred] = (int)(Numel / known);
        }
        else if (known != Numel)
        {
            throw new ForgeException($"Cannot reshape {Format(shape)} ({Numel} elements) to {Format(newShape)} ({known} elements).");
        }
        return dims;
    }
}

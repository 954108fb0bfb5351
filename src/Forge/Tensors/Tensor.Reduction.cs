using Forge.Backends;

namespace Forge.Tensors;

public partial class Tensor
{
    /// <summary>Sum of all elements (0-dimensional).</summary>
    public Tensor Sum() => Sum(AllDims(), keepDim: false);

    /// <summary>Sum over one dimension.</summary>
    public Tensor Sum(int dim, bool keepDim = false) => Sum([dim], keepDim);

    /// <summary>Sum over several dimensions.</summary>
    public Tensor Sum(int[] dims, bool keepDim = false)
    {
        Tensor kept = ReduceKeep(ReduceOp.Sum, dims, out int[] inputShape);
        Tensor result = keepDim ? kept : DropDims(kept, dims);
        return Record(result, "SumBackward", g => [g.Reshape(kept.shape).Expand(inputShape)], this);
    }

    /// <summary>Mean of all elements (0-dimensional).</summary>
    public Tensor Mean() => Mean(AllDims(), keepDim: false);

    /// <summary>Mean over one dimension.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>Mean over several dimensions.</summary>
    public Tensor Mean(int[] dims, bool keepDim = false)
    {
        Tensor kept = ReduceKeep(ReduceOp.Mean, dims, out int[] inputShape);
        float count = kept.Numel == 0 ? 0 : Numel / (float)kept.Numel;
        Tensor result = keepDim ? kept : DropDims(kept, dims);
        return Record(result, "MeanBackward", g => [g.Reshape(kept.shape).Div(count).Expand(inputShape)], this);
    }

    /// <summary>Largest element (0-dimensional).</summary>
    public Tensor Max() => Extreme(ReduceOp.Max, AllDims(), keepDim: false);

    /// <summary>Largest elements along a dimension (gradient split evenly among ties).</summary>
    public Tensor Max(int dim, bool keepDim = false) => Extreme(ReduceOp.Max, [dim], keepDim);

    /// <summary>Smallest element (0-dimensional).</summary>
    public Tensor Min() => Extreme(ReduceOp.Min, AllDims(), keepDim: false);

    /// <summary>Smallest elements along a dimension (gradient split evenly among ties).</summary>
    public Tensor Min(int dim, bool keepDim = false) => Extreme(ReduceOp.Min, [dim], keepDim);

    /// <summary>Index (Int64) of the first largest element along a dimension.</summary>
    public Tensor ArgMax(int dim, bool keepDim = false) => Indices(ReduceOp.ArgMax, dim, keepDim);

    /// <summary>Index (Int64) of the first smallest element along a dimension.</summary>
    public Tensor ArgMin(int dim, bool keepDim = false) => Indices(ReduceOp.ArgMin, dim, keepDim);

    /// <summary>Index (Int64) of the first largest element of the flattened tensor.</summary>
    public Tensor ArgMax() => Reshape(-1).ArgMax(0);

    /// <summary>log Σ exp over a dimension, computed stably.</summary>
    public Tensor LogSumExp(int dim, bool keepDim = false)
    {
        int[] dims = [dim];
        Tensor kept = ReduceKeep(ReduceOp.LogSumExp, dims, out int[] inputShape);
        Tensor result = keepDim ? kept : DropDims(kept, dims);
        return Record(result, "LogSumExpBackward", g => [g.Reshape(kept.shape).Mul(Sub(result.Reshape(kept.shape)).Exp())], this);
    }

    /// <summary>Variance over dimensions with Bessel's correction (correction = 1, PyTorch's default; 0 for the population variance).</summary>
    public Tensor Var(int[] dims, int correction = 1, bool keepDim = false)
    {
        ArgumentNullException.ThrowIfNull(dims);
        long count = dims.Select(d => NormalizeDim(d)).Distinct().Aggregate(1L, (n, d) => n * shape[d]);
        Tensor centered = Sub(Mean(dims, keepDim: true));
        return centered.Square().Sum(dims, keepDim).Div(Math.Max(count - correction, 0));
    }

    /// <summary>Variance over one dimension.</summary>
    public Tensor Var(int dim, int correction = 1, bool keepDim = false) => Var([dim], correction, keepDim);

    /// <summary>Standard deviation over dimensions (square root of <see cref="Var(int[], int, bool)"/>).</summary>
    public Tensor Std(int[] dims, int correction = 1, bool keepDim = false) => Var(dims, correction, keepDim).Sqrt();

    /// <summary>Standard deviation over one dimension.</summary>
    public Tensor Std(int dim, int correction = 1, bool keepDim = false) => Std([dim], correction, keepDim);

    private int[] AllDims() => Enumerable.Range(0, Dim).ToArray();

    private Tensor Extreme(ReduceOp op, int[] dims, bool keepDim)
    {
        Tensor kept = ReduceKeep(op, dims, out _);
        Tensor result = keepDim ? kept : DropDims(kept, dims);
        return Record(result, BackwardName(op), g =>
        {
            Tensor hits = Detach().Eq(kept).To(DType.Float32);
            Tensor ties = hits.Sum(dims, keepDim: true);
            return [hits.Mul(g.Reshape(kept.shape).Div(ties))];
        }, this);
    }

    private Tensor Indices(ReduceOp op, int dim, bool keepDim)
    {
        int[] dims = [dim];
        Tensor kept = ReduceKeep(op, dims, out _);
        return keepDim ? kept : DropDims(kept, dims);
    }

    /// <summary>Reduces over <paramref name="dims"/>, keeping them with size 1; not recorded.</summary>
    private Tensor ReduceKeep(ReduceOp op, int[] dims, out int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(dims);
        RequireFloat32(op.ToString());
        inputShape = shape;
        int[] reduced = Dim == 0 ? [] : ReducedDims(dims);
        int[] outShape = (int[])shape.Clone();
        foreach (int d in reduced) outShape[d] = 1;
        Tensor result = Uninitialized(outShape, op is ReduceOp.ArgMax or ReduceOp.ArgMin ? DType.Int64 : DType.Float32, Device);
        if (ColumnReduction(op, reduced) is var (outer, count, inner))
        {
            Backend.ReduceColumns(op, Detach().View(outer, count, inner), result);
            return result;
        }
        var order = new int[Dim];
        int next = 0;
        for (int d = 0; d < Dim; d++)
        {
            if (Array.IndexOf(reduced, d) < 0) order[next++] = d;
        }
        reduced.CopyTo(order, next);
        Tensor moved = Detach().Permute(order).Contiguous();
        Backend.ReduceRows(op, moved, result);
        return result;
    }

    /// <summary><paramref name="dims"/> normalized, without repeats, in increasing order.</summary>
    private int[] ReducedDims(int[] dims)
    {
        var seen = new bool[Dim];
        int count = 0;
        foreach (int dim in dims)
        {
            int d = NormalizeDim(dim);
            if (!seen[d]) count++;
            seen[d] = true;
        }
        var reduced = new int[count];
        for (int d = 0, i = 0; d < Dim; d++)
        {
            if (seen[d]) reduced[i++] = d;
        }
        return reduced;
    }

    /// <summary>
    /// For a contiguous tensor whose reduced dimensions are consecutive and not last, the [outer, reduced, inner] sizes that let
    /// the backend reduce in place (no transposing copy); null otherwise.
    /// </summary>
    private (int Outer, int Count, int Inner)? ColumnReduction(ReduceOp op, int[] reduced)
    {
        if (!IsContiguous || reduced.Length == 0 || op is not (ReduceOp.Sum or ReduceOp.Mean or ReduceOp.Max or ReduceOp.Min)) return null;
        if (reduced[^1] - reduced[0] != reduced.Length - 1 || reduced[^1] == Dim - 1) return null;
        long outer = 1, count = 1, inner = 1;
        for (int d = 0; d < Dim; d++)
        {
            if (d < reduced[0]) outer *= shape[d];
            else if (d <= reduced[^1]) count *= shape[d];
            else inner *= shape[d];
        }
        if (inner == 1 || outer > int.MaxValue || count > int.MaxValue || inner > int.MaxValue) return null;
        return ((int)outer, (int)count, (int)inner);
    }

    private Tensor DropDims(Tensor kept, int[] dims)
    {
        if (Dim == 0) return kept;
        int[] reduced = ReducedDims(dims);
        var remaining = new int[Dim - reduced.Length];
        for (int d = 0, i = 0; d < Dim; d++)
        {
            if (Array.IndexOf(reduced, d) < 0) remaining[i++] = shape[d];
        }
        return kept.Detach().View(remaining);
    }
}

using Forge.Autograd;
using Forge.Tensors;

namespace Forge.Nn;

/// <summary>
/// Stateless neural-network operations (PyTorch's torch.nn.functional): every function takes its parameters as tensors and
/// records itself for autograd. Modules are thin wrappers that own the parameters.
/// </summary>
public static partial class Functional
{
    /// <summary>Softmax along <paramref name="dim"/>: exp(x − max) / Σ exp(x − max), so large logits do not overflow. A row of only −∞ gives NaN, as in PyTorch.</summary>
    public static Tensor Softmax(Tensor x, int dim) => AlongLastDimension(x, dim, SoftmaxLastDimension);

    /// <summary>log(softmax(x)) along <paramref name="dim"/>, computed as x − max − log Σ exp(x − max) (stable).</summary>
    public static Tensor LogSoftmax(Tensor x, int dim) => AlongLastDimension(x, dim, LogSoftmaxLastDimension);

    /// <summary>Applies a last-dimension op along <paramref name="dim"/> by swapping that dimension to the end and back.</summary>
    private static Tensor AlongLastDimension(Tensor x, int dim, Func<Tensor, Tensor> lastDimensionOp)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.DType != DType.Float32) throw new ForgeException($"Softmax computes in Float32, found {x.DType}; convert with To(DType.Float32) first.");
        if (x.Dim == 0) return lastDimensionOp(x.Reshape(1)).Reshape();
        int d = x.NormalizeDim(dim);
        if (d == x.Dim - 1) return lastDimensionOp(x);
        return lastDimensionOp(x.Transpose(d, -1)).Transpose(d, -1).Contiguous();
    }

    private static Tensor SoftmaxLastDimension(Tensor x)
    {
        Tensor y = Tensor.Uninitialized(x.shape, DType.Float32, x.Device);
        x.Backend.Softmax(x.ContiguousForKernel(), y);
        return Tensor.Tracks(x) ? RecordSoftmax(x, y) : y;
    }

    private static Tensor RecordSoftmax(Tensor x, Tensor y)
    {
        return Tensor.Record(y, "SoftmaxBackward", g =>
        {
            if (GradMode.IsEnabled) return [y.Mul(g.Sub(g.Mul(y).Sum(-1, keepDim: true)))];
            Tensor gradInput = Tensor.EmptyLike(y);
            y.Backend.SoftmaxBackward(y, g.Contiguous(), gradInput);
            return [gradInput];
        }, x);
    }

    private static Tensor LogSoftmaxLastDimension(Tensor x)
    {
        Tensor y = Tensor.Uninitialized(x.shape, DType.Float32, x.Device);
        x.Backend.LogSoftmax(x.ContiguousForKernel(), y);
        return Tensor.Record(y, "LogSoftmaxBackward", g =>
        {
            if (GradMode.IsEnabled) return [g.Sub(y.Exp().Mul(g.Sum(-1, keepDim: true)))];
            Tensor gradInput = Tensor.EmptyLike(y);
            y.Backend.LogSoftmaxBackward(y, g.Contiguous(), gradInput);
            return [gradInput];
        }, x);
    }
}

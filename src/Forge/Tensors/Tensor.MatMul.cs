using Forge.Backends;

namespace Forge.Tensors;

public partial class Tensor
{
    /// <summary>
    /// Matrix product with PyTorch's rules: 1-D operands are vectors (two give their 0-D dot product), leading (batch)
    /// dimensions broadcast, and a 2-D right operand folds the left operand's batch into one large product.
    /// </summary>
    public Tensor MatMul(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        RequireFloat32("MatMul");
        other.RequireFloat32("MatMul");
        if (Dim == 0 || other.Dim == 0) throw new ForgeException("MatMul needs tensors of at least one dimension; use Mul for scalars.");
        if (Dim == 1) return Unsqueeze(0).MatMul(other).Squeeze(other.Dim == 1 ? 0 : -2);
        if (other.Dim == 1) return MatMul(other.Unsqueeze(-1)).Squeeze(-1);
        int m = shape[^2], k = shape[^1], n = other.shape[^1];
        if (other.shape[^2] != k)
            throw new ForgeException($"MatMul shapes {Format(shape)} and {Format(other.shape)} do not match: {k} columns against {other.shape[^2]} rows.");
        if (other.Dim == 2)
        {
            int[] outShape = [.. shape.AsSpan(0, Dim - 1), n];
            Tensor rows = Dim == 2 ? this : Reshape(-1, k);
            return MatMulBatched(rows, other).Reshape(outShape);
        }
        if (Dim == other.Dim && shape.AsSpan(0, Dim - 2).SequenceEqual(other.shape.AsSpan(0, Dim - 2))) return MatMulBatched(this, other);
        int[] batch = BroadcastShapes(shape.AsSpan(0, Dim - 2), other.shape.AsSpan(0, other.Dim - 2));
        return MatMulBatched(Expand([.. batch, m, k]), other.Expand([.. batch, k, n]));
    }

    /// <summary>Batched product of [b, m, k] and [b, k, n] tensors.</summary>
    public Tensor Bmm(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Dim != 3 || other.Dim != 3 || shape[0] != other.shape[0])
            throw new ForgeException($"Bmm needs [b, m, k] and [b, k, n] tensors, found {Format(shape)} and {Format(other.shape)}.");
        return MatMul(other);
    }

    /// <summary>
    /// c = a·b for operands [..., m, k] and [..., k, n] with the same leading (batch) dimensions; the backend reads any strides,
    /// so transposed, broadcast and sliced operands are not copied. Each gradient is computed in the memory order of its
    /// operand (transposed for a column-major operand such as a tied embedding's <see cref="MT"/>), so accumulating it needs no
    /// transposing copy.
    /// </summary>
    private static Tensor MatMulBatched(Tensor a, Tensor b)
    {
        Tensor result = Uninitialized([.. a.shape.AsSpan(0, a.Dim - 1), b.shape[^1]], DType.Float32, a.Device);
        a.Backend.MatMul(a, b, result, 0);
        return Tracks(a, b) ? RecordMatMul(a, b, result) : result;
    }

    private static Tensor RecordMatMul(Tensor a, Tensor b, Tensor result) =>
        Record(result, "MatMulBackward", g => [LeftGradient(a, b, g), RightGradient(a, b, g)], a, b);

    /// <summary>
    /// this·other + bias for a right operand [k, n] and a bias [n] (a linear layer): the bias is added as the product is stored,
    /// not in a second pass over the result. Other shapes take <see cref="MatMul"/> and <see cref="Add(Tensor)"/>.
    /// </summary>
    internal Tensor MatMulAdd(Tensor other, Tensor bias)
    {
        ArgumentNullException.ThrowIfNull(other);
        ArgumentNullException.ThrowIfNull(bias);
        if (Dim < 2 || other.Dim != 2 || bias.Dim != 1 || shape[^1] != other.shape[0] || bias.shape[0] != other.shape[1]
            || DType != DType.Float32 || other.DType != DType.Float32 || bias.DType != DType.Float32)
        {
            return MatMul(other).Add(bias);
        }
        int k = shape[^1], n = other.shape[1];
        Tensor rows = Dim == 2 ? this : Reshape(-1, k);
        Tensor result = Empty([rows.shape[0], n], DType.Float32, Device);
        Backend.MatMulBias(rows, other, bias.ContiguousForKernel(), result);
        Tensor recorded = Tracks(rows, other, bias) ? RecordMatMulAdd(rows, other, bias, result) : result;
        return recorded.Reshape([.. shape.AsSpan(0, Dim - 1), n]);
    }

    private static Tensor RecordMatMulAdd(Tensor rows, Tensor other, Tensor bias, Tensor result) =>
        Record(result, "MatMulAddBackward", g =>
            [LeftGradient(rows, other, g), RightGradient(rows, other, g), bias.RequiresGrad ? g.SumToShape(bias.shape) : null], rows, other, bias);

    /// <summary>
    /// a·b for causal attention (see <see cref="CausalProduct"/>), with equal batch dimensions: the backend skips the zero or
    /// unneeded triangle, and so do the gradients (the gradient reaching scores is zero above the diagonal, as
    /// <see cref="Nn.Functional"/>'s causal softmax leaves it).
    /// </summary>
    internal static Tensor CausalMatMul(Tensor a, Tensor b, CausalProduct product)
    {
        Tensor result = Uninitialized([.. a.shape.AsSpan(0, a.Dim - 1), b.shape[^1]], DType.Float32, a.Device);
        a.Backend.CausalMatMul(a, b, result, product);
        return Record(result, "CausalMatMulBackward", g => product switch
        {
            CausalProduct.LowerResult =>
            [
                a.RequiresGrad ? (a.IsColumnMajor ? MatMulBatched(b, g.MT).MT : CausalMatMul(g, b.MT, CausalProduct.LowerLeft)) : null,
                b.RequiresGrad ? (b.IsColumnMajor ? CausalMatMul(g.MT, a, CausalProduct.UpperLeft).MT : MatMulBatched(a.MT, g)) : null,
            ],
            CausalProduct.LowerLeft =>
            [
                a.RequiresGrad ? (a.IsColumnMajor ? MatMulBatched(b, g.MT).MT : CausalMatMul(g, b.MT, CausalProduct.LowerResult)) : null,
                b.RequiresGrad ? (b.IsColumnMajor ? MatMulBatched(g.MT, a).MT : CausalMatMul(a.MT, g, CausalProduct.UpperLeft)) : null,
            ],
            _ => [LeftGradient(a, b, g), RightGradient(a, b, g)],
        }, a, b);
    }

    /// <summary>The gradient of a·b with respect to a, in a's memory order (transposed for a column-major a); null when a needs none.</summary>
    private static Tensor? LeftGradient(Tensor a, Tensor b, Tensor g) =>
        a.RequiresGrad ? (a.IsColumnMajor ? MatMulBatched(b, g.MT).MT : MatMulBatched(g, b.MT)) : null;

    /// <summary>The gradient of a·b with respect to b, in b's memory order; null when b needs none.</summary>
    private static Tensor? RightGradient(Tensor a, Tensor b, Tensor g) =>
        b.RequiresGrad ? (b.IsColumnMajor ? MatMulBatched(g.MT, a).MT : MatMulBatched(a.MT, g)) : null;

    /// <summary>Whether the last two dimensions are stored transposed: rows adjacent in memory, columns apart.</summary>
    private bool IsColumnMajor => Dim >= 2 && shape[^2] > 1 && shape[^1] > 1 && strides[^2] == 1 && strides[^1] != 1;
}

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
            int[] outShape = [.. shape[..^1], n];
            Tensor rows = Dim == 2 ? this : Reshape(-1, k);
            return MatMulBatched(rows.Unsqueeze(0), other.Unsqueeze(0)).Reshape(outShape);
        }
        int[] batch = BroadcastShapes(shape[..^2], other.shape[..^2]);
        Tensor a3 = Expand([.. batch, m, k]).AsBatched();
        Tensor b3 = other.Expand([.. batch, k, n]).AsBatched();
        return MatMulBatched(a3, b3).Reshape([.. batch, m, n]);
    }

    /// <summary>Batched product of [b, m, k] and [b, k, n] tensors.</summary>
    public Tensor Bmm(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Dim != 3 || other.Dim != 3 || shape[0] != other.shape[0])
            throw new ForgeException($"Bmm needs [b, m, k] and [b, k, n] tensors, found {Format(shape)} and {Format(other.shape)}.");
        return MatMul(other);
    }

    /// <summary>c = a·b for 3-D operands of equal batch; the backend reads any strides.</summary>
    private static Tensor MatMulBatched(Tensor a, Tensor b)
    {
        Tensor result = Empty([a.shape[0], a.shape[1], b.shape[2]], DType.Float32, a.Device);
        a.Backend.MatMul(a.Detach(), b.Detach(), result, 0);
        return Record(result, "MatMulBackward", g =>
        [
            a.RequiresGrad ? MatMulBatched(g, b.MT) : null,
            b.RequiresGrad ? MatMulBatched(a.MT, g) : null,
        ], a, b);
    }

    /// <summary>Views a [..., m, k] tensor as [batch, m, k] without copying when the batch dimensions merge, otherwise copies.</summary>
    private Tensor AsBatched()
    {
        int batch = 1;
        int innermost = -1;
        bool mergeable = true;
        for (int i = 0; i < Dim - 2; i++)
        {
            batch *= shape[i];
            if (shape[i] == 1) continue;
            if (innermost >= 0 && strides[innermost] != strides[i] * shape[i]) mergeable = false;
            innermost = i;
        }
        if (!mergeable) return Contiguous().Reshape(-1, shape[^2], shape[^1]);
        long batchStride = innermost >= 0 ? strides[innermost] : 0;
        int[] original = shape;
        var view = new Tensor(storage, [batch, shape[^2], shape[^1]], [batchStride, strides[^2], strides[^1]], offset);
        return Record(view, "BatchViewBackward", g => [g.Reshape(original)], this);
    }
}

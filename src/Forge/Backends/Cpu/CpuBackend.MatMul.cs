using Forge.Tensors;

namespace Forge.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc />
    public void MatMul(Tensor a, Tensor b, Tensor c, float beta)
    {
        int batch = c.Size(0), m = c.Size(1), n = c.Size(2), k = a.Size(2);
        var left = new StridedMatrix(a.Ptr<float>(), a.strides[0], a.strides[1], a.strides[2]);
        var right = new StridedMatrix(b.Ptr<float>(), b.strides[0], b.strides[1], b.strides[2]);
        Gemm.Multiply(batch, m, n, k, left, right, c.Ptr<float>(), n, (long)m * n, beta != 0);
    }
}

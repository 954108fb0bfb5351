using System.Numerics.Tensors;
using Tensor = Forge.Tensors.Tensor;

namespace Forge.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc />
    public void Softmax(Tensor x, Tensor y)
    {
        float* px = x.Ptr<float>(), py = y.Ptr<float>();
        ForEachRow(x, (row, cols) =>
        {
            float* input = px + row * cols, output = py + row * cols;
            float sum = Simd.ExpSum(input, 1, TensorPrimitives.Max(new ReadOnlySpan<float>(input, cols)), output, cols);
            TensorPrimitives.Divide(new ReadOnlySpan<float>(output, cols), sum, new Span<float>(output, cols));
        });
    }

    /// <inheritdoc />
    public void SoftmaxBackward(Tensor y, Tensor gradOutput, Tensor gradInput)
    {
        float* py = y.Ptr<float>(), pg = gradOutput.Ptr<float>(), pr = gradInput.Ptr<float>();
        ForEachRow(y, (row, cols) =>
        {
            var output = new ReadOnlySpan<float>(py + row * cols, cols);
            var grad = new ReadOnlySpan<float>(pg + row * cols, cols);
            var result = new Span<float>(pr + row * cols, cols);
            TensorPrimitives.Subtract(grad, TensorPrimitives.Dot(grad, output), result);
            TensorPrimitives.Multiply(result, output, result);
        });
    }

    /// <inheritdoc />
    public void LogSoftmax(Tensor x, Tensor y)
    {
        float* px = x.Ptr<float>(), py = y.Ptr<float>();
        ForEachRow(x, (row, cols) =>
        {
            var input = new ReadOnlySpan<float>(px + row * cols, cols);
            var output = new Span<float>(py + row * cols, cols);
            TensorPrimitives.Subtract(input, TensorPrimitives.Max(input), output);
            double sum = 0;
            foreach (float shifted in output) sum += Math.Exp(shifted);
            TensorPrimitives.Subtract(output, (float)Math.Log(sum), output);
        });
    }

    /// <inheritdoc />
    public void LogSoftmaxBackward(Tensor y, Tensor gradOutput, Tensor gradInput)
    {
        float* py = y.Ptr<float>(), pg = gradOutput.Ptr<float>(), pr = gradInput.Ptr<float>();
        ForEachRow(y, (row, cols) =>
        {
            var output = new ReadOnlySpan<float>(py + row * cols, cols);
            var grad = new ReadOnlySpan<float>(pg + row * cols, cols);
            var result = new Span<float>(pr + row * cols, cols);
            TensorPrimitives.Exp(output, result);
            TensorPrimitives.Multiply(result, TensorPrimitives.Sum(grad), result);
            TensorPrimitives.Subtract(grad, result, result);
        });
    }

    /// <inheritdoc />
    public void CausalSoftmax(Tensor x, Tensor y, float scale)
    {
        float* px = x.Ptr<float>(), py = y.Ptr<float>();
        int queries = x.Shape[^2];
        ForEachRow(x, (row, cols) =>
        {
            int seen = (int)Math.Min(row % queries + 1, cols);
            var input = new ReadOnlySpan<float>(px + row * cols, seen);
            var output = new Span<float>(py + row * cols, seen);
            float top = scale >= 0 ? scale * TensorPrimitives.Max(input) : scale * TensorPrimitives.Min(input);
            float sum = Simd.ExpSum(px + row * cols, scale, top, py + row * cols, seen);
            TensorPrimitives.Divide(output, sum, output);
            new Span<float>(py + row * cols + seen, cols - seen).Clear();
        });
    }

    /// <inheritdoc />
    public void CausalSoftmaxBackward(Tensor y, Tensor gradOutput, Tensor gradInput, float scale)
    {
        float* py = y.Ptr<float>(), pg = gradOutput.Ptr<float>(), pr = gradInput.Ptr<float>();
        int queries = y.Shape[^2];
        ForEachRow(y, (row, cols) =>
        {
            int seen = (int)Math.Min(row % queries + 1, cols);
            var output = new ReadOnlySpan<float>(py + row * cols, seen);
            var grad = new ReadOnlySpan<float>(pg + row * cols, seen);
            var result = new Span<float>(pr + row * cols, seen);
            TensorPrimitives.Subtract(grad, TensorPrimitives.Dot(grad, output), result);
            TensorPrimitives.Multiply(result, output, result);
            TensorPrimitives.Multiply(result, scale, result);
            new Span<float>(pr + row * cols + seen, cols - seen).Clear();
        });
    }

    /// <summary>Runs <paramref name="body"/>(row, columns) in parallel over the rows of the last dimension of a contiguous tensor.</summary>
    private static void ForEachRow(Tensor x, Action<long, int> body)
    {
        if (x.Numel == 0) return;
        ForEachRow(x.Numel / x.Shape[^1], x.Shape[^1], body);
    }

    /// <summary>Runs <paramref name="body"/>(row, columns) in parallel over <paramref name="rows"/> rows of <paramref name="cols"/> elements.</summary>
    private static void ForEachRow(long rows, int cols, Action<long, int> body) =>
        CpuParallel.For(rows, Math.Max(1, 16384 / Math.Max(cols, 1)), (start, end) =>
        {
            for (long row = start; row < end; row++) body(row, cols);
        });
}

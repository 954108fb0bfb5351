using System.Numerics.Tensors;
using Tensor = Forge.Tensors.Tensor;

namespace Forge.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc />
    public void Softmax(Tensor x, Tensor y) => ForEachRow(x, new SoftmaxRows { X = x.Ptr<float>(), Y = y.Ptr<float>() });

    private struct SoftmaxRows : IRowBody
    {
        public float* X, Y;

        public readonly void Row(long row, int cols)
        {
            float* input = X + row * cols, output = Y + row * cols;
            float sum = Simd.ExpSum(input, 1, TensorPrimitives.Max(new ReadOnlySpan<float>(input, cols)), output, cols);
            TensorPrimitives.Divide(new ReadOnlySpan<float>(output, cols), sum, new Span<float>(output, cols));
        }
    }

    /// <inheritdoc />
    public void SoftmaxBackward(Tensor y, Tensor gradOutput, Tensor gradInput) =>
        ForEachRow(y, new SoftmaxBackwardRows { Y = y.Ptr<float>(), GradOutput = gradOutput.Ptr<float>(), GradInput = gradInput.Ptr<float>(), Scale = 1, Causal = false });

    /// <summary>
    /// dx = scale·y·(g − Σ g·y) over the row, or over the row's first (row mod queries) + 1 columns when causal (the rest are
    /// zero): the backward pass of softmax and of causal softmax.
    /// </summary>
    private struct SoftmaxBackwardRows : IRowBody
    {
        public float* Y, GradOutput, GradInput;
        public float Scale;
        public bool Causal;
        public int Queries;

        public readonly void Row(long row, int cols)
        {
            int seen = Causal ? (int)Math.Min(row % Queries + 1, cols) : cols;
            var output = new ReadOnlySpan<float>(Y + row * cols, seen);
            var grad = new ReadOnlySpan<float>(GradOutput + row * cols, seen);
            var result = new Span<float>(GradInput + row * cols, seen);
            TensorPrimitives.Subtract(grad, TensorPrimitives.Dot(grad, output), result);
            TensorPrimitives.Multiply(result, output, result);
            if (!Causal) return;
            TensorPrimitives.Multiply(result, Scale, result);
            new Span<float>(GradInput + row * cols + seen, cols - seen).Clear();
        }
    }

    /// <inheritdoc />
    public void LogSoftmax(Tensor x, Tensor y) => ForEachRow(x, new LogSoftmaxRows { X = x.Ptr<float>(), Y = y.Ptr<float>() });

    private struct LogSoftmaxRows : IRowBody
    {
        public float* X, Y;

        public readonly void Row(long row, int cols)
        {
            var input = new ReadOnlySpan<float>(X + row * cols, cols);
            var output = new Span<float>(Y + row * cols, cols);
            TensorPrimitives.Subtract(input, TensorPrimitives.Max(input), output);
            double sum = 0;
            foreach (float shifted in output) sum += Math.Exp(shifted);
            TensorPrimitives.Subtract(output, (float)Math.Log(sum), output);
        }
    }

    /// <inheritdoc />
    public void LogSoftmaxBackward(Tensor y, Tensor gradOutput, Tensor gradInput) =>
        ForEachRow(y, new LogSoftmaxBackwardRows { Y = y.Ptr<float>(), GradOutput = gradOutput.Ptr<float>(), GradInput = gradInput.Ptr<float>() });

    private struct LogSoftmaxBackwardRows : IRowBody
    {
        public float* Y, GradOutput, GradInput;

        public readonly void Row(long row, int cols)
        {
            var output = new ReadOnlySpan<float>(Y + row * cols, cols);
            var grad = new ReadOnlySpan<float>(GradOutput + row * cols, cols);
            var result = new Span<float>(GradInput + row * cols, cols);
            TensorPrimitives.Exp(output, result);
            TensorPrimitives.Multiply(result, TensorPrimitives.Sum(grad), result);
            TensorPrimitives.Subtract(grad, result, result);
        }
    }

    /// <inheritdoc />
    public void CausalSoftmax(Tensor x, Tensor y, float scale) =>
        ForEachRow(x, new CausalSoftmaxRows { X = x.Ptr<float>(), Y = y.Ptr<float>(), Scale = scale, Queries = x.Shape[^2] });

    private struct CausalSoftmaxRows : IRowBody
    {
        public float* X, Y;
        public float Scale;
        public int Queries;

        public readonly void Row(long row, int cols)
        {
            int seen = (int)Math.Min(row % Queries + 1, cols);
            var input = new ReadOnlySpan<float>(X + row * cols, seen);
            var output = new Span<float>(Y + row * cols, seen);
            float top = Scale >= 0 ? Scale * TensorPrimitives.Max(input) : Scale * TensorPrimitives.Min(input);
            float sum = Simd.ExpSum(X + row * cols, Scale, top, Y + row * cols, seen);
            TensorPrimitives.Divide(output, sum, output);
            new Span<float>(Y + row * cols + seen, cols - seen).Clear();
        }
    }

    /// <inheritdoc />
    public void CausalSoftmaxBackward(Tensor y, Tensor gradOutput, Tensor gradInput, float scale) =>
        ForEachRow(y, new SoftmaxBackwardRows
        {
            Y = y.Ptr<float>(), GradOutput = gradOutput.Ptr<float>(), GradInput = gradInput.Ptr<float>(), Scale = scale, Causal = true, Queries = y.Shape[^2],
        });

    /// <summary>What runs on one row of a row-wise kernel: the row's index and its number of columns.</summary>
    private interface IRowBody
    {
        void Row(long row, int cols);
    }

    /// <summary>Runs <paramref name="body"/> in parallel over the rows of the last dimension of a contiguous tensor.</summary>
    private static void ForEachRow<TRow>(Tensor x, TRow body) where TRow : struct, IRowBody
    {
        if (x.Numel == 0) return;
        ForEachRow(x.Numel / x.Shape[^1], x.Shape[^1], body);
    }

    /// <summary>Runs <paramref name="body"/> in parallel over <paramref name="rows"/> rows of <paramref name="cols"/> elements.</summary>
    private static void ForEachRow<TRow>(long rows, int cols, TRow body) where TRow : struct, IRowBody =>
        CpuParallel.For(rows, Math.Max(1, 16384 / Math.Max(cols, 1)), new Rows<TRow> { Cols = cols, Body = body });

    private struct Rows<TRow> : IRangeBody where TRow : struct, IRowBody
    {
        public int Cols;
        public TRow Body;

        public void Run(long start, long end)
        {
            for (long row = start; row < end; row++) Body.Row(row, Cols);
        }
    }
}

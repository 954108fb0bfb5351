using System.Numerics.Tensors;
using Forge.Tensors;
using Tensor = Forge.Tensors.Tensor;

namespace Forge.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    private const long ElementGrain = 32768;

    /// <inheritdoc />
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor result)
    {
        long n = result.Numel;
        if (n <= ElementGrain && a.IsContiguous && b.IsContiguous && result.IsContiguous && a.Numel == n && b.Numel == n)
        {
            BinaryRun(op, a.Ptr<float>(), 1, b.Ptr<float>(), 1, result.Ptr<float>(), (int)n);
            return;
        }
        BinaryStrided(op, a, b, result);
    }

    private static void BinaryStrided(BinaryOp op, Tensor a, Tensor b, Tensor result)
    {
        var layout = new StridedLayout(result.Shape, a.Strides, b.Strides, result.Strides);
        float* pa = a.Ptr<float>(), pb = b.Ptr<float>(), pr = result.Ptr<float>();
        ForEachRun(layout, (offsets, count) =>
            BinaryRun(op, pa + offsets[0], layout.InnerStrides[0], pb + offsets[1], layout.InnerStrides[1], pr + offsets[2], count));
    }

    /// <inheritdoc />
    public void Compare(CompareOp op, Tensor a, Tensor b, Tensor result)
    {
        if (a.DType != b.DType || (a.DType != DType.Float32 && a.DType != DType.Int64))
            throw new ForgeException($"Compare needs two Float32 or two Int64 tensors, found {a.DType} and {b.DType}.");
        var layout = new StridedLayout(result.Shape, a.Strides, b.Strides, result.Strides);
        bool isFloat = a.DType == DType.Float32;
        byte* pa = (byte*)a.Storage.Pointer + a.StorageOffset * a.DType.SizeOf();
        byte* pb = (byte*)b.Storage.Pointer + b.StorageOffset * b.DType.SizeOf();
        byte* pr = result.Ptr<byte>();
        long sa = layout.InnerStrides[0], sb = layout.InnerStrides[1], sr = layout.InnerStrides[2];
        ForEachRun(layout, (offsets, count) =>
        {
            for (int i = 0; i < count; i++)
            {
                bool value = isFloat
                    ? Holds(op, ((float*)pa)[offsets[0] + i * sa], ((float*)pb)[offsets[1] + i * sb])
                    : Holds(op, ((long*)pa)[offsets[0] + i * sa], ((long*)pb)[offsets[1] + i * sb]);
                pr[offsets[2] + i * sr] = value ? (byte)1 : (byte)0;
            }
        });
    }

    private static bool Holds<T>(CompareOp op, T x, T y) where T : System.Numerics.INumber<T> => op switch
    {
        CompareOp.Equal => x == y,
        CompareOp.NotEqual => x != y,
        CompareOp.Less => x < y,
        CompareOp.LessOrEqual => x <= y,
        CompareOp.Greater => x > y,
        _ => x >= y,
    };

    /// <inheritdoc />
    public void Unary(UnaryOp op, Tensor x, Tensor result, float p1, float p2)
    {
        float* px = x.Ptr<float>(), pr = result.Ptr<float>();
        if (x.Numel <= ElementGrain) UnaryRange(op, px, pr, 0, x.Numel, p1, p2);
        else CpuParallel.For(x.Numel, ElementGrain, (start, end) => UnaryRange(op, px, pr, start, end, p1, p2));
    }

    private static void UnaryRange(UnaryOp op, float* px, float* pr, long start, long end, float p1, float p2)
    {
        if (TryUnaryVectorized(op, px + start, pr + start, end - start, p1)) return;
        var input = new ReadOnlySpan<float>(px + start, (int)(end - start));
        var output = new Span<float>(pr + start, (int)(end - start));
        UnaryRun(op, input, output, p1, p2);
    }

    /// <inheritdoc />
    public void UnaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gradOutput, Tensor gradInput, float p1, float p2)
    {
        float* px = x.Ptr<float>(), py = y.Ptr<float>(), pg = gradOutput.Ptr<float>(), pr = gradInput.Ptr<float>();
        if (x.Numel <= ElementGrain) UnaryBackwardRange(op, px, py, pg, pr, 0, x.Numel, p1, p2);
        else CpuParallel.For(x.Numel, ElementGrain, (start, end) => UnaryBackwardRange(op, px, py, pg, pr, start, end, p1, p2));
    }

    private static void UnaryBackwardRange(UnaryOp op, float* px, float* py, float* pg, float* pr, long start, long end, float p1, float p2)
    {
        if (TryUnaryBackwardVectorized(op, px + start, py + start, pg + start, pr + start, end - start, p1)) return;
        for (long i = start; i < end; i++) pr[i] = pg[i] * Derivative(op, px[i], py[i], p1, p2);
    }

    /// <summary>Runs <paramref name="body"/>(operand offsets, count) over every run of the innermost dimension, in parallel.</summary>
    private static void ForEachRun(StridedLayout layout, RunBody body)
    {
        int operands = layout.InnerStrides.Length;
        if (layout.Rows == 1)
        {
            CpuParallel.For(layout.Inner, ElementGrain, (start, end) =>
            {
                Span<long> offsets = stackalloc long[operands];
                for (int o = 0; o < operands; o++) offsets[o] = start * layout.InnerStrides[o];
                body(offsets, (int)(end - start));
            });
            return;
        }
        CpuParallel.For(layout.Rows, Math.Max(1, ElementGrain / Math.Max(layout.Inner, 1)), (start, end) =>
        {
            Span<long> offsets = stackalloc long[operands];
            for (long row = start; row < end; row++)
            {
                layout.RowOffsets(row, offsets);
                body(offsets, layout.Inner);
            }
        });
    }

    private delegate void RunBody(Span<long> offsets, int count);

    private static void BinaryRun(BinaryOp op, float* a, long sa, float* b, long sb, float* r, int count)
    {
        if (sa == 1 && sb == 1)
        {
            var x = new ReadOnlySpan<float>(a, count);
            var y = new ReadOnlySpan<float>(b, count);
            var d = new Span<float>(r, count);
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(x, y, d); return;
                case BinaryOp.Sub: TensorPrimitives.Subtract(x, y, d); return;
                case BinaryOp.Mul: TensorPrimitives.Multiply(x, y, d); return;
                case BinaryOp.Div: TensorPrimitives.Divide(x, y, d); return;
            }
        }
        else if (sa == 1 && sb == 0)
        {
            var x = new ReadOnlySpan<float>(a, count);
            var d = new Span<float>(r, count);
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(x, *b, d); return;
                case BinaryOp.Sub: TensorPrimitives.Subtract(x, *b, d); return;
                case BinaryOp.Mul: TensorPrimitives.Multiply(x, *b, d); return;
                case BinaryOp.Div: TensorPrimitives.Divide(x, *b, d); return;
            }
        }
        else if (sa == 0 && sb == 1)
        {
            var y = new ReadOnlySpan<float>(b, count);
            var d = new Span<float>(r, count);
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(y, *a, d); return;
                case BinaryOp.Mul: TensorPrimitives.Multiply(y, *a, d); return;
            }
        }
        for (int i = 0; i < count; i++) r[i] = Apply(op, a[i * sa], b[i * sb]);
    }

    private static float Apply(BinaryOp op, float x, float y) => op switch
    {
        BinaryOp.Add => x + y,
        BinaryOp.Sub => x - y,
        BinaryOp.Mul => x * y,
        BinaryOp.Div => x / y,
        BinaryOp.Pow => MathF.Pow(x, y),
        BinaryOp.Maximum => float.IsNaN(x) || float.IsNaN(y) ? float.NaN : MathF.Max(x, y),
        _ => float.IsNaN(x) || float.IsNaN(y) ? float.NaN : MathF.Min(x, y),
    };

    private static void UnaryRun(UnaryOp op, ReadOnlySpan<float> x, Span<float> r, float p1, float p2)
    {
        switch (op)
        {
            case UnaryOp.Neg: TensorPrimitives.Negate(x, r); return;
            case UnaryOp.Exp: TensorPrimitives.Exp(x, r); return;
            case UnaryOp.Log: TensorPrimitives.Log(x, r); return;
            case UnaryOp.Sqrt: TensorPrimitives.Sqrt(x, r); return;
            case UnaryOp.Abs: TensorPrimitives.Abs(x, r); return;
            case UnaryOp.Tanh: TensorPrimitives.Tanh(x, r); return;
            case UnaryOp.Sigmoid: TensorPrimitives.Sigmoid(x, r); return;
            case UnaryOp.Sin: TensorPrimitives.Sin(x, r); return;
            case UnaryOp.Cos: TensorPrimitives.Cos(x, r); return;
            case UnaryOp.Reciprocal: TensorPrimitives.Reciprocal(x, r); return;
        }
        for (int i = 0; i < x.Length; i++) r[i] = Function(op, x[i], p1, p2);
    }

    private static float Function(UnaryOp op, float x, float p1, float p2)
    {
        switch (op)
        {
            case UnaryOp.Softplus: return p1 * x > p2 ? x : (float)(Math.Log(1 + Math.Exp(p1 * (double)x)) / p1);
            case UnaryOp.PowScalar: return MathF.Pow(x, p1);
            case UnaryOp.Clamp: return float.IsNaN(x) ? x : Math.Min(Math.Max(x, p1), p2);
            case UnaryOp.Sign: return float.IsNaN(x) ? x : Math.Sign(x);
            default: throw new ForgeException($"Unary op {op} has no scalar form.");
        }
    }

    private static float Derivative(UnaryOp op, float x, float y, float p1, float p2)
    {
        switch (op)
        {
            case UnaryOp.Neg: return -1;
            case UnaryOp.Log: return 1 / x;
            case UnaryOp.Sqrt: return 0.5f / y;
            case UnaryOp.Rsqrt: return -0.5f * y * y * y;
            case UnaryOp.Abs: return x > 0 ? 1 : x < 0 ? -1 : 0;
            case UnaryOp.Softplus: return p1 * x > p2 ? 1 : (float)(1 / (1 + Math.Exp(-p1 * (double)x)));
            case UnaryOp.PowScalar: return p1 == 0 ? 0 : p1 * MathF.Pow(x, p1 - 1);
            case UnaryOp.Clamp: return x >= p1 && x <= p2 ? 1 : 0;
            case UnaryOp.Sin: return MathF.Cos(x);
            case UnaryOp.Cos: return -MathF.Sin(x);
            case UnaryOp.Sign: return 0;
            case UnaryOp.Reciprocal: return -y * y;
            default: throw new ForgeException($"Unary op {op} has no derivative.");
        }
    }
}

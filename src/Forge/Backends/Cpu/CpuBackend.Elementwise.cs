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
        ForEachRun(layout, new BinaryRuns
        {
            Op = op,
            A = a.Ptr<float>(),
            StrideA = layout.InnerStride(0),
            B = b.Ptr<float>(),
            StrideB = layout.InnerStride(1),
            Result = result.Ptr<float>(),
        });
    }

    private struct BinaryRuns : IRunBody
    {
        public BinaryOp Op;
        public float* A, B, Result;
        public long StrideA, StrideB;

        public readonly void Run(Span<long> offsets, int count) =>
            BinaryRun(Op, A + offsets[0], StrideA, B + offsets[1], StrideB, Result + offsets[2], count);
    }

    /// <inheritdoc />
    public void Compare(CompareOp op, Tensor a, Tensor b, Tensor result)
    {
        if (a.DType != b.DType || (a.DType != DType.Float32 && a.DType != DType.Int64))
            throw new ForgeException($"Compare needs two Float32 or two Int64 tensors, found {a.DType} and {b.DType}.");
        var layout = new StridedLayout(result.Shape, a.Strides, b.Strides, result.Strides);
        ForEachRun(layout, new CompareRuns
        {
            Op = op,
            IsFloat = a.DType == DType.Float32,
            A = (byte*)a.Storage.Pointer + a.StorageOffset * a.DType.SizeOf(),
            B = (byte*)b.Storage.Pointer + b.StorageOffset * b.DType.SizeOf(),
            Result = result.Ptr<byte>(),
            StrideA = layout.InnerStride(0),
            StrideB = layout.InnerStride(1),
            StrideResult = layout.InnerStride(2),
        });
    }

    private struct CompareRuns : IRunBody
    {
        public CompareOp Op;
        public bool IsFloat;
        public byte* A, B, Result;
        public long StrideA, StrideB, StrideResult;

        public readonly void Run(Span<long> offsets, int count)
        {
            for (int i = 0; i < count; i++)
            {
                bool value = IsFloat
                    ? Holds(Op, ((float*)A)[offsets[0] + i * StrideA], ((float*)B)[offsets[1] + i * StrideB])
                    : Holds(Op, ((long*)A)[offsets[0] + i * StrideA], ((long*)B)[offsets[1] + i * StrideB]);
                Result[offsets[2] + i * StrideResult] = value ? (byte)1 : (byte)0;
            }
        }
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
        else CpuParallel.For(x.Numel, ElementGrain, new UnaryChunks { Op = op, X = px, Result = pr, P1 = p1, P2 = p2 });
    }

    private struct UnaryChunks : IRangeBody
    {
        public UnaryOp Op;
        public float* X, Result;
        public float P1, P2;

        public readonly void Run(long start, long end) => UnaryRange(Op, X, Result, start, end, P1, P2);
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
        else CpuParallel.For(x.Numel, ElementGrain, new UnaryBackwardChunks { Op = op, X = px, Y = py, GradOutput = pg, GradInput = pr, P1 = p1, P2 = p2 });
    }

    private struct UnaryBackwardChunks : IRangeBody
    {
        public UnaryOp Op;
        public float* X, Y, GradOutput, GradInput;
        public float P1, P2;

        public readonly void Run(long start, long end) => UnaryBackwardRange(Op, X, Y, GradOutput, GradInput, start, end, P1, P2);
    }

    private static void UnaryBackwardRange(UnaryOp op, float* px, float* py, float* pg, float* pr, long start, long end, float p1, float p2)
    {
        if (TryUnaryBackwardVectorized(op, px + start, py + start, pg + start, pr + start, end - start, p1)) return;
        for (long i = start; i < end; i++) pr[i] = pg[i] * Derivative(op, px[i], py[i], p1, p2);
    }

    /// <summary>Runs <paramref name="body"/>(operand offsets, count) over every run of the innermost dimension, in parallel.</summary>
    private static void ForEachRun<TRun>(in StridedLayout layout, TRun body) where TRun : struct, IRunBody
    {
        if (layout.Rows == 1) CpuParallel.For(layout.Inner, ElementGrain, new InnerChunks<TRun> { Layout = layout, Body = body });
        else CpuParallel.For(layout.Rows, Math.Max(1, ElementGrain / Math.Max(layout.Inner, 1)), new RowRuns<TRun> { Layout = layout, Body = body });
    }

    /// <summary>What runs on each stretch of the innermost dimension: the operands' element offsets and the stretch's length.</summary>
    private interface IRunBody
    {
        void Run(Span<long> offsets, int count);
    }

    /// <summary>A single row cut into chunks.</summary>
    private struct InnerChunks<TRun> : IRangeBody where TRun : struct, IRunBody
    {
        public StridedLayout Layout;
        public TRun Body;

        public void Run(long start, long end)
        {
            Span<long> offsets = stackalloc long[Layout.Operands];
            for (int o = 0; o < offsets.Length; o++) offsets[o] = start * Layout.InnerStride(o);
            Body.Run(offsets, (int)(end - start));
        }
    }

    /// <summary>Whole rows.</summary>
    private struct RowRuns<TRun> : IRangeBody where TRun : struct, IRunBody
    {
        public StridedLayout Layout;
        public TRun Body;

        public void Run(long start, long end)
        {
            Span<long> offsets = stackalloc long[Layout.Operands];
            for (long row = start; row < end; row++)
            {
                Layout.RowOffsets(row, offsets);
                Body.Run(offsets, Layout.Inner);
            }
        }
    }

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

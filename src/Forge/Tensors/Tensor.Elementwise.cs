using Forge.Backends;

namespace Forge.Tensors;

/// <summary>GELU variants.</summary>
public enum GeluApproximation
{
    /// <summary>Exact, with the error function.</summary>
    None,
    /// <summary>The tanh approximation (GPT-2's gelu_new).</summary>
    Tanh,
}

public partial class Tensor
{
    /// <summary>Elementwise sum with broadcasting.</summary>
    public Tensor Add(Tensor other) => BinaryOp(Backends.BinaryOp.Add, this, other);

    /// <summary>this + alpha·other with broadcasting.</summary>
    public Tensor Add(Tensor other, float alpha) => alpha == 1 ? Add(other) : Add(other.Mul(alpha));

    /// <summary>Elementwise difference with broadcasting.</summary>
    public Tensor Sub(Tensor other) => BinaryOp(Backends.BinaryOp.Sub, this, other);

    /// <summary>Elementwise product with broadcasting.</summary>
    public Tensor Mul(Tensor other) => BinaryOp(Backends.BinaryOp.Mul, this, other);

    /// <summary>Elementwise quotient with broadcasting.</summary>
    public Tensor Div(Tensor other) => BinaryOp(Backends.BinaryOp.Div, this, other);

    /// <summary>Elementwise power with broadcasting.</summary>
    public Tensor Pow(Tensor exponent) => BinaryOp(Backends.BinaryOp.Pow, this, exponent);

    /// <summary>Elementwise maximum with broadcasting (NaN propagates; ties share the gradient equally, as in PyTorch).</summary>
    public Tensor Maximum(Tensor other) => BinaryOp(Backends.BinaryOp.Maximum, this, other);

    /// <summary>Elementwise minimum with broadcasting (NaN propagates; ties share the gradient equally, as in PyTorch).</summary>
    public Tensor Minimum(Tensor other) => BinaryOp(Backends.BinaryOp.Minimum, this, other);

    /// <summary>Adds a constant.</summary>
    public Tensor Add(float value) => Add(ScalarLike(value));

    /// <summary>Subtracts a constant.</summary>
    public Tensor Sub(float value) => Sub(ScalarLike(value));

    /// <summary>Multiplies by a constant.</summary>
    public Tensor Mul(float value) => Mul(ScalarLike(value));

    /// <summary>Divides by a constant.</summary>
    public Tensor Div(float value) => Div(ScalarLike(value));

    /// <summary>Raises to a constant power.</summary>
    public Tensor Pow(float exponent) => Unary(UnaryOp.PowScalar, exponent);

    /// <summary>Elementwise sum.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);

    /// <summary>Elementwise difference.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);

    /// <summary>Elementwise product.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);

    /// <summary>Elementwise quotient.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);

    /// <summary>Adds a constant.</summary>
    public static Tensor operator +(Tensor a, float b) => a.Add(b);

    /// <summary>Adds a constant.</summary>
    public static Tensor operator +(float a, Tensor b) => b.Add(a);

    /// <summary>Subtracts a constant.</summary>
    public static Tensor operator -(Tensor a, float b) => a.Sub(b);

    /// <summary>Subtracts from a constant.</summary>
    public static Tensor operator -(float a, Tensor b) => b.Neg().Add(a);

    /// <summary>Multiplies by a constant.</summary>
    public static Tensor operator *(Tensor a, float b) => a.Mul(b);

    /// <summary>Multiplies by a constant.</summary>
    public static Tensor operator *(float a, Tensor b) => b.Mul(a);

    /// <summary>Divides by a constant.</summary>
    public static Tensor operator /(Tensor a, float b) => a.Div(b);

    /// <summary>Divides a constant.</summary>
    public static Tensor operator /(float a, Tensor b) => b.Reciprocal().Mul(a);

    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();

    /// <summary>-x</summary>
    public Tensor Neg() => Unary(UnaryOp.Neg);

    /// <summary>e^x</summary>
    public Tensor Exp() => Unary(UnaryOp.Exp);

    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => Unary(UnaryOp.Log);

    /// <summary>Square root.</summary>
    public Tensor Sqrt() => Unary(UnaryOp.Sqrt);

    /// <summary>1/√x</summary>
    public Tensor Rsqrt() => Unary(UnaryOp.Rsqrt);

    /// <summary>|x|</summary>
    public Tensor Abs() => Unary(UnaryOp.Abs);

    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh() => Unary(UnaryOp.Tanh);

    /// <summary>Logistic sigmoid.</summary>
    public Tensor Sigmoid() => Unary(UnaryOp.Sigmoid);

    /// <summary>max(x, 0)</summary>
    public Tensor Relu() => Unary(UnaryOp.Relu);

    /// <summary>x for x &gt; 0, slope·x otherwise.</summary>
    public Tensor LeakyRelu(float negativeSlope = 0.01f) => Unary(UnaryOp.LeakyRelu, negativeSlope);

    /// <summary>Gaussian error linear unit.</summary>
    public Tensor Gelu(GeluApproximation approximate = GeluApproximation.None) =>
        Unary(approximate == GeluApproximation.Tanh ? UnaryOp.GeluTanh : UnaryOp.Gelu);

    /// <summary>x·sigmoid(x) (swish).</summary>
    public Tensor Silu() => Unary(UnaryOp.Silu);

    /// <summary>ln(1+e^(beta·x))/beta, linear where beta·x exceeds the threshold.</summary>
    public Tensor Softplus(float beta = 1, float threshold = 20) => Unary(UnaryOp.Softplus, beta, threshold);

    /// <summary>Limits values to [min, max].</summary>
    public Tensor Clamp(float min = float.NegativeInfinity, float max = float.PositiveInfinity) => Unary(UnaryOp.Clamp, min, max);

    /// <summary>Sine.</summary>
    public Tensor Sin() => Unary(UnaryOp.Sin);

    /// <summary>Cosine.</summary>
    public Tensor Cos() => Unary(UnaryOp.Cos);

    /// <summary>-1, 0 or 1 by sign.</summary>
    public Tensor Sign() => Unary(UnaryOp.Sign);

    /// <summary>1/x</summary>
    public Tensor Reciprocal() => Unary(UnaryOp.Reciprocal);

    /// <summary>x²</summary>
    public Tensor Square() => Mul(this);

    /// <summary>In place: this += alpha·other (broadcast to this shape). Not recorded for gradients.</summary>
    public Tensor AddInPlace(Tensor other, float alpha = 1)
    {
        ArgumentNullException.ThrowIfNull(other);
        RequireFloat32("AddInPlace");
        Tensor rhs = alpha == 1 ? other.Detach() : other.Detach().Mul(alpha);
        Tensor target = IsContiguous ? this : Contiguous();
        Backend.Binary(Backends.BinaryOp.Add, target.Detach(), rhs.To(DType).BroadcastTo(shape), target.Detach());
        if (!ReferenceEquals(target, this)) CopyFrom(target);
        return this;
    }

    /// <summary>In place: this *= value. Not recorded for gradients.</summary>
    public Tensor MulInPlace(float value)
    {
        RequireFloat32("MulInPlace");
        Tensor target = IsContiguous ? this : Contiguous();
        Backend.Binary(Backends.BinaryOp.Mul, target.Detach(), ScalarLike(value).BroadcastTo(shape), target.Detach());
        if (!ReferenceEquals(target, this)) CopyFrom(target);
        return this;
    }

    /// <summary>Elementwise comparison ==, giving a Bool tensor.</summary>
    public Tensor Eq(Tensor other) => Compare(CompareOp.Equal, other);

    /// <summary>Elementwise comparison !=, giving a Bool tensor.</summary>
    public Tensor Ne(Tensor other) => Compare(CompareOp.NotEqual, other);

    /// <summary>Elementwise comparison &lt;, giving a Bool tensor.</summary>
    public Tensor Lt(Tensor other) => Compare(CompareOp.Less, other);

    /// <summary>Elementwise comparison &lt;=, giving a Bool tensor.</summary>
    public Tensor Le(Tensor other) => Compare(CompareOp.LessOrEqual, other);

    /// <summary>Elementwise comparison &gt;, giving a Bool tensor.</summary>
    public Tensor Gt(Tensor other) => Compare(CompareOp.Greater, other);

    /// <summary>Elementwise comparison &gt;=, giving a Bool tensor.</summary>
    public Tensor Ge(Tensor other) => Compare(CompareOp.GreaterOrEqual, other);

    /// <summary>Elementwise comparison with a constant (as real numbers, also for integer tensors), giving a Bool tensor.</summary>
    public Tensor Eq(double value) => CompareConstant(CompareOp.Equal, value);

    /// <summary>Elementwise comparison with a constant (as real numbers, also for integer tensors), giving a Bool tensor.</summary>
    public Tensor Ne(double value) => CompareConstant(CompareOp.NotEqual, value);

    /// <summary>Elementwise comparison with a constant (as real numbers, also for integer tensors), giving a Bool tensor.</summary>
    public Tensor Lt(double value) => CompareConstant(CompareOp.Less, value);

    /// <summary>Elementwise comparison with a constant (as real numbers, also for integer tensors), giving a Bool tensor.</summary>
    public Tensor Le(double value) => CompareConstant(CompareOp.LessOrEqual, value);

    /// <summary>Elementwise comparison with a constant (as real numbers, also for integer tensors), giving a Bool tensor.</summary>
    public Tensor Gt(double value) => CompareConstant(CompareOp.Greater, value);

    /// <summary>Elementwise comparison with a constant (as real numbers, also for integer tensors), giving a Bool tensor.</summary>
    public Tensor Ge(double value) => CompareConstant(CompareOp.GreaterOrEqual, value);

    /// <summary>Picks <paramref name="a"/> where <paramref name="condition"/> is true and <paramref name="b"/> elsewhere (broadcasting).</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (condition.DType != DType.Bool) throw new ForgeException($"Where needs a Bool condition, found {condition.DType}; make one with a comparison such as x.Gt(0).");
        Tensor mask = condition.To(DType.Float32).Detach();
        Tensor inverse = mask.Neg().Add(1f);
        int[] outShape = BroadcastShapes(BroadcastShapes(condition.Shape, a.Shape), b.Shape);
        Tensor result;
        using (Autograd.GradMode.NoGrad())
        {
            Tensor aa = a.BroadcastTo(outShape), bb = b.BroadcastTo(outShape);
            result = bb.MaskedFillCore(condition.BroadcastTo(outShape), aa);
        }
        return Record(result, "WhereBackward", g => [g.Mul(mask).SumToShape(a.Shape), g.Mul(inverse).SumToShape(b.Shape)], a, b);
    }

    /// <summary>Replaces elements where <paramref name="mask"/> (Bool, broadcast) is true with <paramref name="value"/>.</summary>
    public Tensor MaskedFill(Tensor mask, float value)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.DType != DType.Bool) throw new ForgeException($"MaskedFill needs a Bool mask, found {mask.DType}.");
        int[] outShape = BroadcastShapes(shape, mask.Shape);
        if (!outShape.SequenceEqual(shape)) throw new ForgeException($"Mask of shape {Format(mask.Shape)} does not broadcast to the tensor's shape {Format(shape)}.");
        Tensor result = MaskedFillCore(mask.BroadcastTo(shape), Full([], value, DType, Device).BroadcastTo(shape));
        Tensor keep = mask.To(DType.Float32).Neg().Add(1f);
        return Record(result, "MaskedFillBackward", g => [g.Mul(keep)], this);
    }

    /// <summary>result = mask ? fill : this, elementwise over one shape, without recording.</summary>
    private Tensor MaskedFillCore(Tensor mask, Tensor fill)
    {
        Tensor result = Contiguous().Detach().Clone();
        Tensor maskDense = mask.Contiguous().Detach();
        Tensor fillDense = fill.To(DType).Contiguous().Detach();
        FillWhere(result, maskDense, fillDense);
        StepGraph.Capturing?.AddHostWork(FillWhereAction(result, maskDense, fillDense));
        return result;
    }

    private static Action FillWhereAction(Tensor result, Tensor maskDense, Tensor fillDense) => () => FillWhere(result, maskDense, fillDense);

    /// <summary>result[i] = fill[i] where mask[i], for contiguous tensors of one shape.</summary>
    private static unsafe void FillWhere(Tensor result, Tensor maskDense, Tensor fillDense)
    {
        int size = result.DType.SizeOf();
        byte* r = (byte*)result.storage.Pointer + result.offset * size;
        byte* f = (byte*)fillDense.storage.Pointer + fillDense.offset * size;
        byte* m = maskDense.Ptr<byte>();
        for (long i = 0; i < result.Numel; i++)
        {
            if (m[i] != 0) Buffer.MemoryCopy(f + i * size, r + i * size, size, size);
        }
        GC.KeepAlive(result);
        GC.KeepAlive(maskDense);
        GC.KeepAlive(fillDense);
    }

    private Tensor Compare(CompareOp op, Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        DType common = DType.IsFloatingPoint() || other.DType.IsFloatingPoint() ? DType.Float32 : DType.Int64;
        int[] outShape = BroadcastShapes(shape, other.shape);
        Tensor result = Empty(outShape, DType.Bool, Device);
        Backend.Compare(op, To(common).BroadcastTo(outShape), other.To(common).BroadcastTo(outShape), result);
        return result;
    }

    /// <summary>
    /// Compares with a constant as real numbers. An integer tensor is compared exactly with the whole number that gives the
    /// same answer (x &lt; 2.5 is x ≤ 2), and a constant beyond the Int64 range gives a constant answer.
    /// </summary>
    private Tensor CompareConstant(CompareOp op, double value)
    {
        if (DType.IsFloatingPoint()) return Compare(op, Full([], value, DType, Device));
        if (double.IsNaN(value)) return Full(shape, op == CompareOp.NotEqual ? 1 : 0, DType.Bool, Device);
        double below = Math.Floor(value), above = Math.Ceiling(value);
        if (below != above)
        {
            if (op is CompareOp.Equal or CompareOp.NotEqual) return Full(shape, op == CompareOp.NotEqual ? 1 : 0, DType.Bool, Device);
            (op, value) = op is CompareOp.Less or CompareOp.LessOrEqual ? (CompareOp.LessOrEqual, below) : (CompareOp.GreaterOrEqual, above);
        }
        const double Int64Limit = 9223372036854775808.0;
        if (value >= Int64Limit || value < -Int64Limit)
        {
            bool constantAbove = value > 0;
            bool holds = op switch
            {
                CompareOp.Less or CompareOp.LessOrEqual => constantAbove,
                CompareOp.Greater or CompareOp.GreaterOrEqual => !constantAbove,
                CompareOp.NotEqual => true,
                _ => false,
            };
            return Full(shape, holds ? 1 : 0, DType.Bool, Device);
        }
        return Compare(op, Full([], value, DType.Int64, Device));
    }

    private Tensor ScalarLike(float value) => Full([], value, DType.Float32, Device);

    private void RequireFloat32(string op)
    {
        if (DType != DType.Float32) throw new ForgeException($"{op} computes in Float32, found {DType}; convert with To(DType.Float32) first.");
    }

    private static Tensor BinaryOp(BinaryOp op, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        a.RequireFloat32(op.ToString());
        b.RequireFloat32(op.ToString());
        int[] outShape = a.shape.AsSpan().SequenceEqual(b.shape) ? a.shape : BroadcastShapes(a.shape, b.shape);
        Tensor result = Uninitialized(outShape, DType.Float32, a.Device);
        a.Backend.Binary(op, a.KernelOperand(outShape), b.KernelOperand(outShape), result);
        return Tracks(a, b) ? RecordBinary(op, a, b, result) : result;
    }

    private static Tensor RecordBinary(BinaryOp op, Tensor a, Tensor b, Tensor result) =>
        Record(result, BackwardName(op), g => BinaryBackward(op, a, b, result, g), a, b);

    private static Tensor?[] BinaryBackward(BinaryOp op, Tensor a, Tensor b, Tensor result, Tensor g)
    {
        Tensor? ga = null, gb = null;
        bool needA = a.RequiresGrad, needB = b.RequiresGrad;
        switch (op)
        {
            case Backends.BinaryOp.Add:
                ga = needA ? g : null;
                gb = needB ? g : null;
                break;
            case Backends.BinaryOp.Sub:
                ga = needA ? g : null;
                gb = needB ? g.Neg() : null;
                break;
            case Backends.BinaryOp.Mul:
                ga = needA ? g.Mul(b) : null;
                gb = needB ? g.Mul(a) : null;
                break;
            case Backends.BinaryOp.Div:
                ga = needA ? g.Div(b) : null;
                gb = needB ? g.Mul(result).Div(b).Neg() : null;
                break;
            case Backends.BinaryOp.Pow:
                ga = needA ? g.Mul(b).Mul(a.Pow(b.Sub(1f))).MaskedFill(b.Eq(0), 0) : null;
                gb = needB ? g.Mul(result.Mul(a.Log()).MaskedFill(ZeroBaseNonNegativeExponent(a, b), 0)) : null;
                break;
            default:
                Tensor tie = a.Eq(b).To(DType.Float32).Mul(0.5f);
                Tensor aLoses = (op == Backends.BinaryOp.Maximum ? a.Lt(b) : a.Gt(b)).To(DType.Float32);
                Tensor bLoses = (op == Backends.BinaryOp.Maximum ? a.Gt(b) : a.Lt(b)).To(DType.Float32);
                ga = needA ? g.Mul(1f - aLoses - tie) : null;
                gb = needB ? g.Mul(1f - bLoses - tie) : null;
                break;
        }
        return [ga?.SumToShape(a.shape), gb?.SumToShape(b.shape)];
    }

    /// <summary>Where a is 0 and b ≥ 0: there x^b is flat (or constant) in b, and PyTorch's exponent gradient is 0 rather than 0·ln 0.</summary>
    private static Tensor ZeroBaseNonNegativeExponent(Tensor a, Tensor b) =>
        a.Detach().Eq(0).To(DType.Float32).Mul(b.Detach().Ge(0).To(DType.Float32)).Ne(0);

    private Tensor Unary(UnaryOp op, float p1 = 0, float p2 = 0)
    {
        RequireFloat32(op.ToString());
        Tensor x = ContiguousForKernel();
        Tensor result = Uninitialized(shape, DType.Float32, Device);
        Backend.Unary(op, x, result, p1, p2);
        return Tracks(this) ? RecordUnary(op, x, result, p1, p2) : result;
    }

    private Tensor RecordUnary(UnaryOp op, Tensor x, Tensor result, float p1, float p2) =>
        Record(result, BackwardName(op), g =>
        {
            if (Autograd.GradMode.IsEnabled) return [g.Mul(UnaryDerivative(op, this, result, p1, p2))];
            Tensor gradInput = Empty(x.shape, DType.Float32, x.Device);
            Backend.UnaryBackward(op, x, result, g.Contiguous(), gradInput, p1, p2);
            return [gradInput];
        }, this);

    /// <summary>dy/dx of a unary op (input x, output y) built from recorded ops, for a backward pass that creates a graph.</summary>
    private static Tensor UnaryDerivative(UnaryOp op, Tensor x, Tensor y, float p1, float p2)
    {
        Tensor Mask(Tensor condition) => condition.To(DType.Float32);
        switch (op)
        {
            case UnaryOp.Neg: return x.ScalarLike(-1);
            case UnaryOp.Exp: return y;
            case UnaryOp.Log: return x.Reciprocal();
            case UnaryOp.Sqrt: return y.Reciprocal().Mul(0.5f);
            case UnaryOp.Rsqrt: return y.Pow(3f).Mul(-0.5f);
            case UnaryOp.Abs: return Mask(x.Gt(0)).Sub(Mask(x.Lt(0)));
            case UnaryOp.Tanh: return 1f - y.Square();
            case UnaryOp.Sigmoid: return y.Mul(1f - y);
            case UnaryOp.Relu: return Mask(x.Gt(0));
            case UnaryOp.LeakyRelu: return Where(x.Gt(0), x.ScalarLike(1), x.ScalarLike(p1));
            case UnaryOp.Gelu: return GeluDerivative(x);
            case UnaryOp.GeluTanh:
                {
                    const float cubic = 0.044715f;
                    const float scale = 0.7978845608f;
                    Tensor t = x.Add(x.Pow(3f).Mul(cubic)).Mul(scale).Tanh();
                    Tensor slope = x.Square().Mul(3 * cubic).Add(1f).Mul(scale);
                    return t.Add(1f).Mul(0.5f).Add(x.Mul(0.5f).Mul(1f - t.Square()).Mul(slope));
                }
            case UnaryOp.Silu:
                {
                    Tensor s = x.Sigmoid();
                    return s.Mul(x.Mul(1f - s).Add(1f));
                }
            case UnaryOp.Softplus: return Where(x.Mul(p1).Gt(p2), x.ScalarLike(1), x.Mul(p1).Sigmoid());
            case UnaryOp.PowScalar: return p1 == 0 ? x.ScalarLike(0) : x.Pow(p1 - 1).Mul(p1);
            case UnaryOp.Clamp: return Mask(x.Ge(p1)).Mul(Mask(x.Le(p2)));
            case UnaryOp.Sin: return x.Cos();
            case UnaryOp.Cos: return x.Sin().Neg();
            case UnaryOp.Sign: return x.ScalarLike(0);
            case UnaryOp.Reciprocal: return y.Square().Neg();
            default: throw new ForgeException($"Unary op {op} has no derivative.");
        }
    }

    /// <summary>Φ(x) + x·φ(x), the exact GELU's derivative, recorded with its own derivative φ(x)·(2 − x²).</summary>
    private static Tensor GeluDerivative(Tensor x)
    {
        Tensor dense = x.Contiguous().Detach();
        Tensor derivative = Empty(x.shape, DType.Float32, x.Device);
        x.Backend.UnaryBackward(UnaryOp.Gelu, dense, dense, OnesLike(dense), derivative, 0, 0);
        return Record(derivative, "GeluDerivativeBackward", g =>
        {
            Tensor density = x.Square().Mul(-0.5f).Exp().Mul((float)(1 / Math.Sqrt(2 * Math.PI)));
            return [g.Mul(density).Mul(2f - x.Square())];
        }, x);
    }
}

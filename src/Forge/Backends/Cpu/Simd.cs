using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Forge.Backends.Cpu;

/// <summary>
/// A float32 vector of one width, so an elementwise kernel is written once (generic over the width) and runs as Vector512,
/// Vector256 or Vector128, with <see cref="V1"/> (one float) for the tail. Comparisons return masks (all bits set where true).
/// </summary>
internal unsafe interface IFloatVector<TSelf> where TSelf : unmanaged, IFloatVector<TSelf>
{
    /// <summary>Lanes per vector.</summary>
    static abstract int Count { get; }

    /// <summary>Every lane set to <paramref name="value"/>.</summary>
    static abstract TSelf Create(float value);

    /// <summary>Count floats from <paramref name="source"/> (any alignment).</summary>
    static abstract TSelf Load(float* source);

    /// <summary>Writes the lanes to <paramref name="destination"/>.</summary>
    static abstract void Store(TSelf value, float* destination);

    static abstract TSelf operator +(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a, TSelf b);

    static abstract TSelf operator *(TSelf a, TSelf b);

    static abstract TSelf operator /(TSelf a, TSelf b);

    /// <summary>a·b + c, fused where the hardware can.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);

    /// <summary>e^x per lane (<see cref="SimdMath.Exp{TV}"/> for the vector types: within about 1.5 ulp).</summary>
    static abstract TSelf Exp(TSelf x);

    /// <summary>x rounded to the nearest integer (ties to even) per lane.</summary>
    static abstract TSelf Round(TSelf x);

    /// <summary>The largest integer not above x, per lane.</summary>
    static abstract TSelf Floor(TSelf x);

    /// <summary>2^n per lane, for integer-valued n in [−126, 127].</summary>
    static abstract TSelf PowerOfTwo(TSelf n);

    /// <summary>The lane-wise minimum (lanes of a win ties and NaN comparisons).</summary>
    static abstract TSelf Min(TSelf a, TSelf b);

    /// <summary>√x per lane.</summary>
    static abstract TSelf Sqrt(TSelf x);

    /// <summary>|x| per lane.</summary>
    static abstract TSelf Abs(TSelf x);

    /// <summary>Mask of a &gt; b.</summary>
    static abstract TSelf GreaterThan(TSelf a, TSelf b);

    /// <summary>Mask of a &lt; b.</summary>
    static abstract TSelf LessThan(TSelf a, TSelf b);

    /// <summary>Mask of a &gt;= b.</summary>
    static abstract TSelf GreaterThanOrEqual(TSelf a, TSelf b);

    /// <summary>Per lane: the lane of <paramref name="ifTrue"/> where <paramref name="mask"/> (a comparison's) is set, else of <paramref name="ifFalse"/>.</summary>
    static abstract TSelf Select(TSelf mask, TSelf ifTrue, TSelf ifFalse);

    /// <summary>The sum of the lanes.</summary>
    static abstract float Sum(TSelf x);

    /// <summary>The largest lane.</summary>
    static abstract float MaxAcross(TSelf x);

    /// <summary>The lane-wise maximum (lanes of a win ties and NaN comparisons).</summary>
    static abstract TSelf Max(TSelf a, TSelf b);
}

/// <summary>One float, the scalar tail of every vector loop.</summary>
internal readonly unsafe struct V1(float value) : IFloatVector<V1>
{
    private readonly float value = value;

    public static int Count => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 Create(float value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 Load(float* source) => new(*source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(V1 value, float* destination) => *destination = value.value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 operator +(V1 a, V1 b) => new(a.value + b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 operator -(V1 a, V1 b) => new(a.value - b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 operator *(V1 a, V1 b) => new(a.value * b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 operator /(V1 a, V1 b) => new(a.value / b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 MultiplyAdd(V1 a, V1 b, V1 c) => new(MathF.FusedMultiplyAdd(a.value, b.value, c.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 Exp(V1 x) => new(MathF.Exp(x.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 Round(V1 x) => new(MathF.Round(x.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 Floor(V1 x) => new(MathF.Floor(x.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 PowerOfTwo(V1 n) => new(BitConverter.Int32BitsToSingle(((int)n.value + 127) << 23));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 Min(V1 a, V1 b) => a.value <= b.value || float.IsNaN(a.value) ? a : b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 Sqrt(V1 x) => new(MathF.Sqrt(x.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 Abs(V1 x) => new(MathF.Abs(x.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 GreaterThan(V1 a, V1 b) => Mask(a.value > b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 LessThan(V1 a, V1 b) => Mask(a.value < b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 GreaterThanOrEqual(V1 a, V1 b) => Mask(a.value >= b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 Select(V1 mask, V1 ifTrue, V1 ifFalse) => BitConverter.SingleToInt32Bits(mask.value) != 0 ? ifTrue : ifFalse;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(V1 x) => x.value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(V1 x) => x.value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V1 Max(V1 a, V1 b) => a.value >= b.value || float.IsNaN(a.value) ? a : b;

    private static V1 Mask(bool condition) => new(BitConverter.Int32BitsToSingle(condition ? -1 : 0));
}

/// <summary>Four floats (SSE, NEON).</summary>
internal readonly unsafe struct V128(Vector128<float> value) : IFloatVector<V128>
{
    private readonly Vector128<float> value = value;

    public static int Count => Vector128<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Create(float value) => new(Vector128.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Load(float* source) => new(Vector128.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(V128 value, float* destination) => value.value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 operator +(V128 a, V128 b) => new(a.value + b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 operator -(V128 a, V128 b) => new(a.value - b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 operator *(V128 a, V128 b) => new(a.value * b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 operator /(V128 a, V128 b) => new(a.value / b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 MultiplyAdd(V128 a, V128 b, V128 c) => new(Vector128.MultiplyAddEstimate(a.value, b.value, c.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Exp(V128 x) => SimdMath.Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Round(V128 x) => new(Vector128.Round(x.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Floor(V128 x) => new(Vector128.Floor(x.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 PowerOfTwo(V128 n) => new(Vector128.ShiftLeft(Vector128.ConvertToInt32Native(n.value) + Vector128.Create(127), 23).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Min(V128 a, V128 b) => new(Sse.IsSupported ? Sse.Min(b.value, a.value) : Vector128.ConditionalSelect(Vector128.GreaterThan(a.value, b.value), b.value, a.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Sqrt(V128 x) => new(Vector128.Sqrt(x.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Abs(V128 x) => new(Vector128.Abs(x.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 GreaterThan(V128 a, V128 b) => new(Vector128.GreaterThan(a.value, b.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 LessThan(V128 a, V128 b) => new(Vector128.LessThan(a.value, b.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 GreaterThanOrEqual(V128 a, V128 b) => new(Vector128.GreaterThanOrEqual(a.value, b.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Select(V128 mask, V128 ifTrue, V128 ifFalse) =>
        new(Sse41.IsSupported ? Sse41.BlendVariable(ifFalse.value, ifTrue.value, mask.value) : Vector128.ConditionalSelect(mask.value, ifTrue.value, ifFalse.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(V128 x) => Vector128.Sum(x.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(V128 x)
    {
        Vector128<float> v = x.value;
        return MathF.Max(MathF.Max(v[0], v[1]), MathF.Max(v[2], v[3]));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Max(V128 a, V128 b) => new(Sse.IsSupported ? Sse.Max(b.value, a.value) : Vector128.ConditionalSelect(Vector128.LessThan(a.value, b.value), b.value, a.value));
}

/// <summary>Eight floats (AVX2).</summary>
internal readonly unsafe struct V256(Vector256<float> value) : IFloatVector<V256>
{
    private readonly Vector256<float> value = value;

    public static int Count => Vector256<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Create(float value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Load(float* source) => new(Vector256.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(V256 value, float* destination) => value.value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 operator +(V256 a, V256 b) => new(a.value + b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 operator -(V256 a, V256 b) => new(a.value - b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 operator *(V256 a, V256 b) => new(a.value * b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 operator /(V256 a, V256 b) => new(a.value / b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 MultiplyAdd(V256 a, V256 b, V256 c) => new(Vector256.MultiplyAddEstimate(a.value, b.value, c.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Exp(V256 x) => SimdMath.Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Round(V256 x) => new(Vector256.Round(x.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Floor(V256 x) => new(Vector256.Floor(x.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 PowerOfTwo(V256 n) => new(Vector256.ShiftLeft(Vector256.ConvertToInt32Native(n.value) + Vector256.Create(127), 23).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Min(V256 a, V256 b) => new(Avx.IsSupported ? Avx.Min(b.value, a.value) : Vector256.ConditionalSelect(Vector256.GreaterThan(a.value, b.value), b.value, a.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Sqrt(V256 x) => new(Vector256.Sqrt(x.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Abs(V256 x) => new(Vector256.Abs(x.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 GreaterThan(V256 a, V256 b) => new(Vector256.GreaterThan(a.value, b.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 LessThan(V256 a, V256 b) => new(Vector256.LessThan(a.value, b.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 GreaterThanOrEqual(V256 a, V256 b) => new(Vector256.GreaterThanOrEqual(a.value, b.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Select(V256 mask, V256 ifTrue, V256 ifFalse) =>
        new(Avx.IsSupported ? Avx.BlendVariable(ifFalse.value, ifTrue.value, mask.value) : Vector256.ConditionalSelect(mask.value, ifTrue.value, ifFalse.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(V256 x) => Vector256.Sum(x.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(V256 x) => V128.MaxAcross(V128.Max(new V128(x.value.GetLower()), new V128(x.value.GetUpper())));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Max(V256 a, V256 b) => new(Avx.IsSupported ? Avx.Max(b.value, a.value) : Vector256.ConditionalSelect(Vector256.LessThan(a.value, b.value), b.value, a.value));
}

/// <summary>Sixteen floats (AVX-512).</summary>
internal readonly unsafe struct V512(Vector512<float> value) : IFloatVector<V512>
{
    private readonly Vector512<float> value = value;

    public static int Count => Vector512<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Create(float value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Load(float* source) => new(Vector512.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(V512 value, float* destination) => value.value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 operator +(V512 a, V512 b) => new(a.value + b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 operator -(V512 a, V512 b) => new(a.value - b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 operator *(V512 a, V512 b) => new(a.value * b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 operator /(V512 a, V512 b) => new(a.value / b.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 MultiplyAdd(V512 a, V512 b, V512 c) => new(Vector512.MultiplyAddEstimate(a.value, b.value, c.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Exp(V512 x) => SimdMath.Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Round(V512 x) => new(Vector512.Round(x.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Floor(V512 x) => new(Vector512.Floor(x.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 PowerOfTwo(V512 n) => new(Vector512.ShiftLeft(Vector512.ConvertToInt32Native(n.value) + Vector512.Create(127), 23).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Min(V512 a, V512 b) => new(Avx512F.IsSupported ? Avx512F.Min(b.value, a.value) : Vector512.ConditionalSelect(Vector512.GreaterThan(a.value, b.value), b.value, a.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Sqrt(V512 x) => new(Vector512.Sqrt(x.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Abs(V512 x) => new(Vector512.Abs(x.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 GreaterThan(V512 a, V512 b) => new(Vector512.GreaterThan(a.value, b.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 LessThan(V512 a, V512 b) => new(Vector512.LessThan(a.value, b.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 GreaterThanOrEqual(V512 a, V512 b) => new(Vector512.GreaterThanOrEqual(a.value, b.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Select(V512 mask, V512 ifTrue, V512 ifFalse) => new(Vector512.ConditionalSelect(mask.value, ifTrue.value, ifFalse.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(V512 x) => Vector512.Sum(x.value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(V512 x) => V256.MaxAcross(V256.Max(new V256(x.value.GetLower()), new V256(x.value.GetUpper())));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Max(V512 a, V512 b) => new(Avx512F.IsSupported ? Avx512F.Max(b.value, a.value) : Vector512.ConditionalSelect(Vector512.LessThan(a.value, b.value), b.value, a.value));
}

/// <summary>Elementary functions written once over <see cref="IFloatVector{TSelf}"/>.</summary>
internal static class SimdMath
{
    private const float ExpLowest = -103.972084f;
    private const float ExpHighest = 88.7228394f;

    /// <summary>
    /// e^x: x = n·ln 2 + r with n = round(x·log2 e) and r reduced with a two-part ln 2, e^r from Cephes' degree-6 polynomial, and
    /// 2^n applied as two factors so results down to the subnormals are exact in range. Within about 1.5 ulp; +∞ above
    /// ln(float.MaxValue), 0 below the smallest subnormal, NaN for NaN. About twice as fast as the runtime's vector Exp.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp<TV>(TV x) where TV : unmanaged, IFloatVector<TV>
    {
        TV clamped = TV.Min(TV.Max(x, TV.Create(ExpLowest)), TV.Create(ExpHighest));
        TV n = TV.Round(clamped * TV.Create(1.44269504088896341f));
        TV r = TV.MultiplyAdd(n, TV.Create(-0.693359375f), clamped);
        r = TV.MultiplyAdd(n, TV.Create(2.12194440e-4f), r);
        TV p = TV.MultiplyAdd(TV.Create(1.9875691500e-4f), r, TV.Create(1.3981999507e-3f));
        p = TV.MultiplyAdd(p, r, TV.Create(8.3334519073e-3f));
        p = TV.MultiplyAdd(p, r, TV.Create(4.1665795894e-2f));
        p = TV.MultiplyAdd(p, r, TV.Create(1.6666665459e-1f));
        p = TV.MultiplyAdd(p, r, TV.Create(5.0000001201e-1f));
        p = TV.MultiplyAdd(p, r * r, r + TV.Create(1));
        TV half = TV.Floor(n * TV.Create(0.5f));
        TV result = p * TV.PowerOfTwo(half) * TV.PowerOfTwo(n - half);
        result = TV.Select(TV.LessThan(x, TV.Create(ExpLowest)), TV.Create(0), result);
        result = TV.Select(TV.GreaterThan(x, TV.Create(ExpHighest)), TV.Create(float.PositiveInfinity), result);
        return TV.Select(TV.GreaterThanOrEqual(x, x), result, x);
    }
}

/// <summary>r = f(x), elementwise.</summary>
internal interface IUnaryFunction
{
    TV Invoke<TV>(TV x) where TV : unmanaged, IFloatVector<TV>;
}

/// <summary>r = f(x, y), elementwise.</summary>
internal interface IBinaryFunction
{
    TV Invoke<TV>(TV x, TV y) where TV : unmanaged, IFloatVector<TV>;
}

/// <summary>r = f(x, y, z), elementwise.</summary>
internal interface ITernaryFunction
{
    TV Invoke<TV>(TV x, TV y, TV z) where TV : unmanaged, IFloatVector<TV>;
}

/// <summary>Elementwise loops over contiguous floats at the widest accelerated width, with a scalar tail.</summary>
internal static unsafe class Simd
{
    /// <summary>The vector width the loops use, in bits (32 when none is accelerated).</summary>
    public static int Width { get; } = Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256
        : Vector128.IsHardwareAccelerated ? 128 : 32;

    /// <summary>r[i] = f(x[i]) for i &lt; n (r may be x).</summary>
    public static void Map<TF>(TF f, float* x, float* r, long n) where TF : struct, IUnaryFunction
    {
        switch (Width)
        {
            case 512: Map<TF, V512>(f, x, r, n); break;
            case 256: Map<TF, V256>(f, x, r, n); break;
            case 128: Map<TF, V128>(f, x, r, n); break;
            default: Map<TF, V1>(f, x, r, n); break;
        }
    }

    /// <summary>r[i] = f(x[i], y[i]) for i &lt; n (r may be x or y).</summary>
    public static void Map<TF>(TF f, float* x, float* y, float* r, long n) where TF : struct, IBinaryFunction
    {
        switch (Width)
        {
            case 512: Map<TF, V512>(f, x, y, r, n); break;
            case 256: Map<TF, V256>(f, x, y, r, n); break;
            case 128: Map<TF, V128>(f, x, y, r, n); break;
            default: Map<TF, V1>(f, x, y, r, n); break;
        }
    }

    /// <summary>r[i] = f(x[i], y[i], z[i]) for i &lt; n (r may be any input).</summary>
    public static void Map<TF>(TF f, float* x, float* y, float* z, float* r, long n) where TF : struct, ITernaryFunction
    {
        switch (Width)
        {
            case 512: Map<TF, V512>(f, x, y, z, r, n); break;
            case 256: Map<TF, V256>(f, x, y, z, r, n); break;
            case 128: Map<TF, V128>(f, x, y, z, r, n); break;
            default: Map<TF, V1>(f, x, y, z, r, n); break;
        }
    }

    /// <summary>
    /// y[i] = e^(scale·x[i] − shift) for i &lt; n (y may be x, or null to keep only the sum); returns Σ y. The exponentials of a
    /// softmax row.
    /// </summary>
    public static float ExpSum(float* x, float scale, float shift, float* y, long n) => Width switch
    {
        512 => ExpSum<V512>(x, scale, shift, y, n),
        256 => ExpSum<V256>(x, scale, shift, y, n),
        128 => ExpSum<V128>(x, scale, shift, y, n),
        _ => ExpSum<V1>(x, scale, shift, y, n),
    };

    private static float ExpSum<TV>(float* x, float scale, float shift, float* y, long n) where TV : unmanaged, IFloatVector<TV>
    {
        TV factor = TV.Create(scale), offset = TV.Create(-shift), sum = TV.Create(0);
        long i = 0;
        for (; i + TV.Count <= n; i += TV.Count)
        {
            TV e = TV.Exp(TV.MultiplyAdd(TV.Load(x + i), factor, offset));
            if (y != null) TV.Store(e, y + i);
            sum += e;
        }
        float total = TV.Sum(sum);
        for (; i < n; i++)
        {
            float e = MathF.Exp(MathF.FusedMultiplyAdd(x[i], scale, -shift));
            if (y != null) y[i] = e;
            total += e;
        }
        return total;
    }

    /// <summary><see cref="Map{TF}(TF, float*, float*, long)"/> with vectors of type <typeparamref name="TV"/> (then single floats for the tail).</summary>
    public static void Map<TF, TV>(TF f, float* x, float* r, long n) where TF : struct, IUnaryFunction where TV : unmanaged, IFloatVector<TV>
    {
        long i = 0;
        for (; i + TV.Count <= n; i += TV.Count) TV.Store(f.Invoke(TV.Load(x + i)), r + i);
        for (; i < n; i++) V1.Store(f.Invoke(V1.Load(x + i)), r + i);
    }

    /// <summary><see cref="Map{TF}(TF, float*, float*, float*, long)"/> with vectors of type <typeparamref name="TV"/>.</summary>
    public static void Map<TF, TV>(TF f, float* x, float* y, float* r, long n) where TF : struct, IBinaryFunction where TV : unmanaged, IFloatVector<TV>
    {
        long i = 0;
        for (; i + TV.Count <= n; i += TV.Count) TV.Store(f.Invoke(TV.Load(x + i), TV.Load(y + i)), r + i);
        for (; i < n; i++) V1.Store(f.Invoke(V1.Load(x + i), V1.Load(y + i)), r + i);
    }

    /// <summary><see cref="Map{TF}(TF, float*, float*, float*, float*, long)"/> with vectors of type <typeparamref name="TV"/>.</summary>
    public static void Map<TF, TV>(TF f, float* x, float* y, float* z, float* r, long n) where TF : struct, ITernaryFunction where TV : unmanaged, IFloatVector<TV>
    {
        long i = 0;
        for (; i + TV.Count <= n; i += TV.Count) TV.Store(f.Invoke(TV.Load(x + i), TV.Load(y + i), TV.Load(z + i)), r + i);
        for (; i < n; i++) V1.Store(f.Invoke(V1.Load(x + i), V1.Load(y + i), V1.Load(z + i)), r + i);
    }
}

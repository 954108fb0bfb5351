using System.Runtime.CompilerServices;

namespace Forge.Backends.Cpu;

/// <summary>
/// Activations and their derivatives as elementwise functions for <see cref="Simd"/>, each written once for every vector
/// width. Derivatives take (x, y = f(x), upstream gradient g) and return g·f'(x).
/// </summary>
internal static class ActivationFunctions
{
    private const float GeluTanhBeta = 0.7978845608028654f;
    private const float GeluTanhKappa = 0.044715f;
    private const float InverseSqrtTwo = 0.70710678118654752f;
    private const float InverseSqrtTwoPi = 0.39894228040143268f;

    /// <summary>Φ(x) = ½·erfc(−x/√2), with erfc from Numerical Recipes' Chebyshev fit (relative error below 1.2e-7 everywhere).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV NormalCdf<TV>(TV x) where TV : unmanaged, IFloatVector<TV>
    {
        TV z = TV.Abs(x) * TV.Create(InverseSqrtTwo);
        TV t = TV.Create(1) / TV.MultiplyAdd(z, TV.Create(0.5f), TV.Create(1));
        TV p = TV.MultiplyAdd(t, TV.Create(0.17087277f), TV.Create(-0.82215223f));
        p = TV.MultiplyAdd(t, p, TV.Create(1.48851587f));
        p = TV.MultiplyAdd(t, p, TV.Create(-1.13520398f));
        p = TV.MultiplyAdd(t, p, TV.Create(0.27886807f));
        p = TV.MultiplyAdd(t, p, TV.Create(-0.18628806f));
        p = TV.MultiplyAdd(t, p, TV.Create(0.09678418f));
        p = TV.MultiplyAdd(t, p, TV.Create(0.37409196f));
        p = TV.MultiplyAdd(t, p, TV.Create(1.00002368f));
        p = TV.MultiplyAdd(t, p, TV.Create(-1.26551223f));
        TV halfTail = TV.Create(0.5f) * t * TV.Exp(p - z * z);
        return TV.Select(TV.LessThan(x, TV.Create(0)), halfTail, TV.Create(1) - halfTail);
    }

    /// <summary>
    /// GELU with the tanh approximation, ½x(1 + tanh u) with u = β(x + κx³), evaluated as x·σ(2u) = x / (1 + e^(−2u)): the same
    /// function without the cancellation of 1 + tanh u near −1, so it keeps its relative accuracy in the negative tail.
    /// </summary>
    public readonly struct GeluTanh : IUnaryFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke<TV>(TV x) where TV : unmanaged, IFloatVector<TV>
        {
            TV minusTwoU = x * TV.MultiplyAdd(x * x, TV.Create(-2 * GeluTanhBeta * GeluTanhKappa), TV.Create(-2 * GeluTanhBeta));
            return x / (TV.Create(1) + TV.Exp(minusTwoU));
        }
    }

    /// <summary>
    /// g·(s + 2x·s(1 − s)·β(1 + 3κx²)) with s = σ(2u), the derivative of x·σ(2u); 1 − s is taken as e^(−2u)·s where s is near 1.
    /// </summary>
    public readonly struct GeluTanhDerivative : ITernaryFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke<TV>(TV x, TV y, TV g) where TV : unmanaged, IFloatVector<TV>
        {
            TV x2 = x * x;
            TV minusTwoU = x * TV.MultiplyAdd(x2, TV.Create(-2 * GeluTanhBeta * GeluTanhKappa), TV.Create(-2 * GeluTanhBeta));
            TV e = TV.Exp(minusTwoU);
            TV s = TV.Create(1) / (TV.Create(1) + e);
            TV complement = TV.Select(TV.LessThan(minusTwoU, TV.Create(0)), e * s, TV.Create(1) - s);
            TV slope = TV.MultiplyAdd(x2, TV.Create(3 * GeluTanhBeta * GeluTanhKappa), TV.Create(GeluTanhBeta));
            return g * TV.MultiplyAdd(TV.Create(2) * x * s * complement, slope, s);
        }
    }

    /// <summary>GELU: x·Φ(x).</summary>
    public readonly struct Gelu : IUnaryFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke<TV>(TV x) where TV : unmanaged, IFloatVector<TV> => x * NormalCdf(x);
    }

    /// <summary>g·(Φ(x) + x·φ(x)).</summary>
    public readonly struct GeluDerivative : ITernaryFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke<TV>(TV x, TV y, TV g) where TV : unmanaged, IFloatVector<TV>
        {
            TV density = TV.Create(InverseSqrtTwoPi) * TV.Exp(TV.Create(-0.5f) * x * x);
            return g * TV.MultiplyAdd(x, density, NormalCdf(x));
        }
    }

    /// <summary>x where x &gt; 0, slope·x elsewhere (slope 0 is ReLU; NaN maps to slope·NaN, or 0 for ReLU).</summary>
    public readonly struct LeakyRelu(float slope) : IUnaryFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke<TV>(TV x) where TV : unmanaged, IFloatVector<TV> =>
            TV.Select(TV.GreaterThan(x, TV.Create(0)), x, slope == 0 ? TV.Create(0) : TV.Create(slope) * x);
    }

    /// <summary>g where x &gt; 0, slope·g elsewhere.</summary>
    public readonly struct LeakyReluDerivative(float slope) : ITernaryFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke<TV>(TV x, TV y, TV g) where TV : unmanaged, IFloatVector<TV> =>
            TV.Select(TV.GreaterThan(x, TV.Create(0)), g, TV.Create(slope) * g);
    }

    /// <summary>x·sigmoid(x) = x / (1 + e^−x).</summary>
    public readonly struct Silu : IUnaryFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke<TV>(TV x) where TV : unmanaged, IFloatVector<TV> => x / (TV.Create(1) + TV.Exp(TV.Create(0) - x));
    }

    /// <summary>g·(s + x·s(1 − s)) with s = sigmoid(x).</summary>
    public readonly struct SiluDerivative : ITernaryFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke<TV>(TV x, TV y, TV g) where TV : unmanaged, IFloatVector<TV>
        {
            TV s = TV.Create(1) / (TV.Create(1) + TV.Exp(TV.Create(0) - x));
            return g * TV.MultiplyAdd(x * s, TV.Create(1) - s, s);
        }
    }

    /// <summary>1/√x.</summary>
    public readonly struct Rsqrt : IUnaryFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke<TV>(TV x) where TV : unmanaged, IFloatVector<TV> => TV.Create(1) / TV.Sqrt(x);
    }

    /// <summary>g·(1 − y²) for y = tanh x.</summary>
    public readonly struct TanhDerivative : ITernaryFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke<TV>(TV x, TV y, TV g) where TV : unmanaged, IFloatVector<TV> => g * (TV.Create(1) - y * y);
    }

    /// <summary>g·y(1 − y) for y = sigmoid x.</summary>
    public readonly struct SigmoidDerivative : ITernaryFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke<TV>(TV x, TV y, TV g) where TV : unmanaged, IFloatVector<TV> => g * y * (TV.Create(1) - y);
    }

    /// <summary>g·y for y = e^x.</summary>
    public readonly struct ExpDerivative : ITernaryFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke<TV>(TV x, TV y, TV g) where TV : unmanaged, IFloatVector<TV> => g * y;
    }
}

using static Forge.Backends.Cpu.ActivationFunctions;

namespace Forge.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>r = f(x) for the activations with a vector form; false for the others.</summary>
    private static bool TryUnaryVectorized(UnaryOp op, float* x, float* r, long n, float p1)
    {
        switch (op)
        {
            case UnaryOp.GeluTanh: Simd.Map(default(GeluTanh), x, r, n); return true;
            case UnaryOp.Gelu: Simd.Map(default(Gelu), x, r, n); return true;
            case UnaryOp.Relu: Simd.Map(new LeakyRelu(0), x, r, n); return true;
            case UnaryOp.LeakyRelu: Simd.Map(new LeakyRelu(p1), x, r, n); return true;
            case UnaryOp.Silu: Simd.Map(default(Silu), x, r, n); return true;
            case UnaryOp.Rsqrt: Simd.Map(default(Rsqrt), x, r, n); return true;
            default: return false;
        }
    }

    /// <summary>gradInput = gradOutput·f'(x) for the ops with a vector form (y = f(x)); false for the others.</summary>
    private static bool TryUnaryBackwardVectorized(UnaryOp op, float* x, float* y, float* g, float* r, long n, float p1)
    {
        switch (op)
        {
            case UnaryOp.GeluTanh: Simd.Map(default(GeluTanhDerivative), x, y, g, r, n); return true;
            case UnaryOp.Gelu: Simd.Map(default(GeluDerivative), x, y, g, r, n); return true;
            case UnaryOp.Relu: Simd.Map(new LeakyReluDerivative(0), x, y, g, r, n); return true;
            case UnaryOp.LeakyRelu: Simd.Map(new LeakyReluDerivative(p1), x, y, g, r, n); return true;
            case UnaryOp.Silu: Simd.Map(default(SiluDerivative), x, y, g, r, n); return true;
            case UnaryOp.Tanh: Simd.Map(default(TanhDerivative), x, y, g, r, n); return true;
            case UnaryOp.Sigmoid: Simd.Map(default(SigmoidDerivative), x, y, g, r, n); return true;
            case UnaryOp.Exp: Simd.Map(default(ExpDerivative), x, y, g, r, n); return true;
            default: return false;
        }
    }
}

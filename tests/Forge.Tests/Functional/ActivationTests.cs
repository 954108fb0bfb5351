using Forge.Backends.Cpu;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;
using static Forge.Backends.Cpu.ActivationFunctions;

namespace Forge.Tests.Functional;

/// <summary>
/// Activations against PyTorch (tests/fixtures/activations.json, tools/reference/gen_activations.py) over [-12, 12] and the
/// tails, through the tensor API and through the vectorized functions at every vector width (the widths the hardware does
/// not accelerate run in software).
/// </summary>
public sealed unsafe class ActivationTests
{
    private static readonly Lazy<Fixture> Root = new(() => Fixture.Load("activations"));

    [Theory]
    [InlineData("gelu")]
    [InlineData("gelu_tanh")]
    [InlineData("silu")]
    [InlineData("relu")]
    [InlineData("leaky_relu")]
    [InlineData("sigmoid")]
    [InlineData("tanh")]
    [InlineData("exp")]
    [InlineData("rsqrt")]
    public void MatchesPyTorchOutputAndGradient(string name)
    {
        Fixture c = Root.Value[name];
        Tensor x = c.Tensor("x", requiresGrad: true);
        Tensor y = name switch
        {
            "gelu" => x.Gelu(),
            "gelu_tanh" => x.Gelu(GeluApproximation.Tanh),
            "silu" => x.Silu(),
            "relu" => x.Relu(),
            "leaky_relu" => x.LeakyRelu(0.1f),
            "sigmoid" => x.Sigmoid(),
            "tanh" => x.Tanh(),
            "exp" => x.Exp(),
            _ => x.Rsqrt(),
        };
        TensorAssert.Close(c.Tensor("out"), y, 2e-6, 1e-7, "output");
        y.Mul(c.Tensor("g")).Sum().Backward();
        TensorAssert.Close(c.Tensor("dx"), x.Grad!, 2e-5, 1e-6, "gradient");
    }

    [Theory]
    [InlineData("V1")]
    [InlineData("V128")]
    [InlineData("V256")]
    [InlineData("V512")]
    public void VectorFunctionsMatchPyTorchAtEveryWidth(string width)
    {
        foreach (string name in new[] { "gelu", "gelu_tanh", "silu", "relu", "leaky_relu", "sigmoid", "tanh", "exp", "rsqrt" })
        {
            Fixture c = Root.Value[name];
            float[] x = c.Tensor("x").ToArray<float>(), y = c.Tensor("out").ToArray<float>(), g = c.Tensor("g").ToArray<float>();
            var forward = new float[x.Length];
            var gradient = new float[x.Length];
            bool hasForward, hasGradient;
            fixed (float* px = x, py = y, pg = g, pf = forward, pd = gradient)
            {
                (hasForward, hasGradient) = width switch
                {
                    "V1" => Evaluate<V1>(name, px, py, pg, pf, pd, x.Length),
                    "V128" => Evaluate<V128>(name, px, py, pg, pf, pd, x.Length),
                    "V256" => Evaluate<V256>(name, px, py, pg, pf, pd, x.Length),
                    _ => Evaluate<V512>(name, px, py, pg, pf, pd, x.Length),
                };
            }
            if (hasForward) TensorAssert.Close(c.Tensor("out"), Tensor.FromArray(forward), 2e-6, 1e-7, $"{name} at {width}");
            if (hasGradient) TensorAssert.Close(c.Tensor("dx"), Tensor.FromArray(gradient), 2e-5, 1e-6, $"{name} gradient at {width}");
        }
    }

    /// <summary>Runs the function and the derivative of one activation with vectors of type TV; says which exist.</summary>
    private static (bool Forward, bool Gradient) Evaluate<TV>(string name, float* x, float* y, float* g, float* forward, float* gradient, int n)
        where TV : unmanaged, IFloatVector<TV>
    {
        switch (name)
        {
            case "gelu":
                Simd.Map<Gelu, TV>(default, x, forward, n);
                Simd.Map<GeluDerivative, TV>(default, x, y, g, gradient, n);
                return (true, true);
            case "gelu_tanh":
                Simd.Map<GeluTanh, TV>(default, x, forward, n);
                Simd.Map<GeluTanhDerivative, TV>(default, x, y, g, gradient, n);
                return (true, true);
            case "silu":
                Simd.Map<Silu, TV>(default, x, forward, n);
                Simd.Map<SiluDerivative, TV>(default, x, y, g, gradient, n);
                return (true, true);
            case "relu":
                Simd.Map<LeakyRelu, TV>(new LeakyRelu(0), x, forward, n);
                Simd.Map<LeakyReluDerivative, TV>(new LeakyReluDerivative(0), x, y, g, gradient, n);
                return (true, true);
            case "leaky_relu":
                Simd.Map<LeakyRelu, TV>(new LeakyRelu(0.1f), x, forward, n);
                Simd.Map<LeakyReluDerivative, TV>(new LeakyReluDerivative(0.1f), x, y, g, gradient, n);
                return (true, true);
            case "sigmoid":
                Simd.Map<SigmoidDerivative, TV>(default, x, y, g, gradient, n);
                return (false, true);
            case "tanh":
                Simd.Map<TanhDerivative, TV>(default, x, y, g, gradient, n);
                return (false, true);
            case "exp":
                Simd.Map<ExpDerivative, TV>(default, x, y, g, gradient, n);
                return (false, true);
            default:
                Simd.Map<Rsqrt, TV>(default, x, forward, n);
                return (true, false);
        }
    }
}

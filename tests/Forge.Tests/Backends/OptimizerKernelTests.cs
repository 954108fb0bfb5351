using Forge.Backends;
using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Backends;

/// <summary>The vectorized optimizer kernels against their scalar definitions, on lengths with a vector body and a tail.</summary>
public sealed class OptimizerKernelTests
{
    [Theory]
    [InlineData(true, false, 1f)]
    [InlineData(false, false, 1f)]
    [InlineData(true, true, 1f)]
    [InlineData(true, false, 0.37f)]
    [InlineData(false, true, 0.37f)]
    public void AdamStepMatchesTheScalarUpdateBitForBit(bool decoupled, bool amsGrad, float gradScale)
    {
        const int n = 1003;
        var generator = new Generator(12);
        Tensor param = Tensor.Randn([n], generator), grad = Tensor.Randn([n], generator);
        Tensor m = Tensor.Randn([n], generator).Mul(0.1f), v = Tensor.Rand([n], generator).Mul(0.01f);
        Tensor? vMax = amsGrad ? Tensor.Rand([n], generator).Mul(0.01f) : null;
        float[] p0 = param.ToArray<float>(), g0 = grad.ToArray<float>(), m0 = m.ToArray<float>(), v0 = v.ToArray<float>();
        float[]? max0 = vMax?.ToArray<float>();
        const double lr = 1e-3, beta1 = 0.9, beta2 = 0.95, eps = 1e-8, weightDecay = 0.1;
        const long step = 3;
        BackendRegistry.Cpu.AdamStep(param, grad, m, v, vMax, lr, beta1, beta2, eps, weightDecay, step, decoupled, gradScale);

        float negativeStepSize = (float)-(lr / (1 - Math.Pow(beta1, step)));
        float correction2Sqrt = (float)Math.Sqrt(1 - Math.Pow(beta2, step));
        float b1 = (float)beta1, c1 = (float)(1 - beta1), b2 = (float)beta2, c2 = (float)(1 - beta2);
        float shrink = (float)(1 - lr * weightDecay), wd = (float)weightDecay;
        float[] p1 = param.ToArray<float>(), m1 = m.ToArray<float>(), v1 = v.ToArray<float>();
        Assert.Equal(g0, grad.ToArray<float>());
        for (int i = 0; i < n; i++)
        {
            float w = p0[i], g = gradScale == 1 ? g0[i] : g0[i] * gradScale;
            if (decoupled) w *= shrink;
            else g += wd * w;
            float mi = m0[i] * b1 + c1 * g;
            float vi = v0[i] * b2 + c2 * g * g;
            Assert.Equal(mi, m1[i]);
            Assert.Equal(vi, v1[i]);
            if (max0 is not null) vi = Math.Max(max0[i], vi);
            Assert.Equal(w + negativeStepSize * mi / (MathF.Sqrt(vi) / correction2Sqrt + (float)eps), p1[i]);
        }
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(2.0)]
    [InlineData(3.0)]
    [InlineData(double.PositiveInfinity)]
    public void NormMatchesADoublePrecisionSum(double normType)
    {
        Tensor x = Tensor.Randn([100_003], new Generator(5));
        double expected = double.IsPositiveInfinity(normType)
            ? x.ToArray<float>().Max(v => Math.Abs((double)v))
            : Math.Pow(x.ToArray<float>().Sum(v => Math.Pow(Math.Abs((double)v), normType)), 1 / normType);
        Assert.Equal(expected, BackendRegistry.Cpu.Norm(x, normType), expected * 1e-6);
    }
}

using Forge.Backends.Cpu;
using Xunit;

namespace Forge.Tests.Backends;

public sealed unsafe class SimdMathTests
{
    [Theory]
    [InlineData("V128")]
    [InlineData("V256")]
    [InlineData("V512")]
    public void ExpIsWithinTwoUlpsAndHandlesTheEdges(string width)
    {
        var inputs = new List<float>();
        for (int i = -1100; i <= 1000; i++) inputs.Add(i * 0.0937f);
        inputs.AddRange([0f, -0f, 1e-8f, -1e-8f, 88.72f, 88.73f, -87.3f, -103.9f, -104f, 200f, -200f,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN]);
        float[] x = [.. inputs];
        float[] y = new float[x.Length];
        fixed (float* px = x, py = y)
        {
            switch (width)
            {
                case "V128": Simd.Map<ExpFunction, V128>(default, px, py, x.Length); break;
                case "V256": Simd.Map<ExpFunction, V256>(default, px, py, x.Length); break;
                default: Simd.Map<ExpFunction, V512>(default, px, py, x.Length); break;
            }
        }
        for (int i = 0; i < x.Length; i++)
        {
            float expected = (float)Math.Exp(x[i]);
            if (float.IsNaN(expected) || float.IsInfinity(expected) || expected == 0)
            {
                Assert.Equal(expected, y[i]);
                continue;
            }
            float ulp = MathF.BitIncrement(expected) - expected;
            Assert.True(Math.Abs(y[i] - Math.Exp(x[i])) <= 2 * ulp, $"exp({x[i]:R}) = {y[i]:R}, expected {expected:R}");
        }
    }

    private readonly struct ExpFunction : IUnaryFunction
    {
        public TV Invoke<TV>(TV x) where TV : unmanaged, IFloatVector<TV> => TV.Exp(x);
    }
}

using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Tensors;

public sealed class ReductionTests
{
    [Theory]
    [InlineData(new[] { 0 })]
    [InlineData(new[] { 1 })]
    [InlineData(new[] { 0, 1 })]
    [InlineData(new[] { 1, 2 })]
    [InlineData(new[] { 2 })]
    [InlineData(new[] { 0, 2 })]
    public void SumMeanMaxMinOverAnyDimensionsMatchALoop(int[] dims)
    {
        // 70 rows cross the block of rows summed in float; 530 columns cross the chunk of columns one task reduces.
        int[] shape = [3, 70, 530];
        Tensor x = Tensor.Randn(shape, new Generator(4));
        float[] data = x.ToArray<float>();
        foreach (string op in new[] { "sum", "mean", "max", "min" })
        {
            Tensor actual = op switch
            {
                "sum" => x.Sum(dims, keepDim: true),
                "mean" => x.Mean(dims, keepDim: true),
                "max" => Reduce(x, dims, (t, d) => t.Max(d, keepDim: true)),
                _ => Reduce(x, dims, (t, d) => t.Min(d, keepDim: true)),
            };
            int[] outShape = shape.Select((s, d) => dims.Contains(d) ? 1 : s).ToArray();
            var expected = new double[outShape.Aggregate(1, (p, s) => p * s)];
            var magnitudes = new double[expected.Length];
            var counts = new int[expected.Length];
            for (int i = 0; i < shape[0]; i++)
                for (int j = 0; j < shape[1]; j++)
                    for (int k = 0; k < shape[2]; k++)
                    {
                        int o = ((dims.Contains(0) ? 0 : i) * outShape[1] + (dims.Contains(1) ? 0 : j)) * outShape[2] + (dims.Contains(2) ? 0 : k);
                        double v = data[(i * shape[1] + j) * shape[2] + k];
                        magnitudes[o] += Math.Abs(v);
                        expected[o] = counts[o]++ == 0 ? v : op switch
                        {
                            "max" => Math.Max(expected[o], v),
                            "min" => Math.Min(expected[o], v),
                            _ => expected[o] + v,
                        };
                    }
            if (op == "mean")
            {
                for (int o = 0; o < expected.Length; o++)
                {
                    expected[o] /= counts[o];
                    magnitudes[o] /= counts[o];
                }
            }
            // Float sums are exact to a small multiple of ε·Σ|x| (the terms cancel, so the result alone is no scale).
            float[] values = actual.ToArray<float>();
            for (int o = 0; o < expected.Length; o++)
            {
                double tolerance = op is "sum" or "mean" ? 1e-6 * magnitudes[o] : 0;
                Assert.True(Math.Abs(values[o] - expected[o]) <= tolerance, $"{op} over [{string.Join(", ", dims)}]: element {o} is {values[o]}, expected {expected[o]}");
            }
            Assert.Equal(outShape, actual.Shape);
        }
    }

    [Fact]
    public void ColumnMaximumPropagatesNaNAndSumOfABroadcastGradientMatches()
    {
        Tensor x = Tensor.FromArray(new float[] { 1, float.NaN, 3, 4, 5, 2 }, 3, 2);
        float[] max = x.Max(0).ToArray<float>();
        Assert.Equal(5f, max[0]);
        Assert.True(float.IsNaN(max[1]));

        Tensor bias = Tensor.Zeros(4).RequireGrad();
        Tensor input = Tensor.Randn([2, 3, 4], new Generator(1));
        input.Add(bias).Mul(input).Sum().Backward();
        TensorAssert.Close(input.Sum([0, 1]), bias.Grad!, 1e-6, 1e-6);
    }

    private static Tensor Reduce(Tensor x, int[] dims, Func<Tensor, int, Tensor> reduce)
    {
        Tensor result = x;
        foreach (int d in dims) result = reduce(result, d);
        return result;
    }
}

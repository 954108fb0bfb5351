using System.Text.Json;
using Forge.Nn;
using Forge.Optim;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Optim;

public class GradientClippingTests
{
    public static TheoryData<string> NormCases => new() { "l2_clipped", "l2_unclipped", "l1_clipped", "l3_clipped", "inf_clipped" };

    private static Parameter[] WithStepTwoGradients()
    {
        Parameter[] parameters = OptimizerFixture.InitialParameters();
        for (int i = 0; i < parameters.Length; i++) parameters[i].Grad = OptimizerFixture.Gradient(1, i);
        return parameters;
    }

    private static void AssertGradients(JsonElement expected, Parameter[] parameters)
    {
        for (int i = 0; i < parameters.Length; i++)
        {
            JsonElement t = expected[i];
            int[] shape = [.. t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];
            float[] data = [.. t.GetProperty("data").EnumerateArray().Select(e => e.GetSingle())];
            TensorAssert.Close(Tensor.FromArray(data, shape), parameters[i].Grad!, rtol: 1e-5, atol: 1e-7, what: $"gradient {i}");
        }
    }

    [Theory]
    [MemberData(nameof(NormCases))]
    public void ClipGradNormMatchesPyTorch(string name)
    {
        Fixture c = OptimizerFixture.Data["clipping"][name];
        Parameter[] parameters = WithStepTwoGradients();
        JsonElement normType = c.Json.GetProperty("norm_type");
        float p = normType.ValueKind == JsonValueKind.String ? float.PositiveInfinity : normType.GetSingle();
        float total = GradientClipping.ClipGradNorm(parameters, (float)c.Number("max_norm"), p);
        Assert.Equal(c.Number("total"), total, 1e-5 * c.Number("total"));
        AssertGradients(c.Json.GetProperty("grads"), parameters);
    }

    [Fact]
    public void ClipGradValueMatchesPyTorch()
    {
        Fixture c = OptimizerFixture.Data["clipping"]["value"];
        Parameter[] parameters = WithStepTwoGradients();
        GradientClipping.ClipGradValue(parameters, (float)c.Number("clip_value"));
        AssertGradients(c.Json.GetProperty("grads"), parameters);
    }

    [Fact]
    public void ClippedGradientsHaveTheMaximumNorm()
    {
        Parameter[] parameters = WithStepTwoGradients();
        GradientClipping.ClipGradNorm(parameters, 0.25f);
        float after = GradientClipping.ClipGradNorm(parameters, 1e6f);
        Assert.Equal(0.25, after, 1e-5);
    }

    [Fact]
    public void ClipGradNormSkipsMissingGradientsAndReturnsZeroWithoutAny()
    {
        var p = new Parameter(Tensor.Ones(3));
        Assert.Equal(0f, GradientClipping.ClipGradNorm([p], 1f));
        var q = new Parameter(Tensor.Ones(2)) { Grad = Tensor.FromArray([3f, 4f]) };
        Assert.Equal(5f, GradientClipping.ClipGradNorm([p, q], 10f));
        Assert.Null(p.Grad);
    }

    [Theory]
    [InlineData("adamw")]
    [InlineData("adam")]
    [InlineData("sgd")]
    public void SteppingWithTheClipCoefficientMatchesClippingThenSteppingBitForBit(string kind)
    {
        Parameter[] clipped = OptimizerFixture.InitialParameters(), folded = OptimizerFixture.InitialParameters();
        Optimizer Build(Parameter[] parameters) => kind switch
        {
            "adamw" => new AdamW(parameters, learningRate: 0.01, weightDecay: 0.1),
            "adam" => new Adam(parameters, learningRate: 0.01, weightDecay: 0.1),
            _ => new Sgd(parameters, learningRate: 0.01, momentum: 0.9),
        };
        Optimizer first = Build(clipped), second = Build(folded);
        for (int step = 0; step < 3; step++)
        {
            for (int i = 0; i < clipped.Length; i++)
            {
                clipped[i].Grad = OptimizerFixture.Gradient(1, i).Mul(step + 1);
                folded[i].Grad = OptimizerFixture.Gradient(1, i).Mul(step + 1);
            }
            float total = GradientClipping.ClipGradNorm(clipped, 0.3f);
            first.Step();
            float norm = GradientClipping.GetTotalNorm(folded);
            Assert.Equal(total, norm);
            float coefficient = GradientClipping.ClipCoefficient(0.3f, norm);
            Assert.True(coefficient < 1, $"the gradients should need clipping, found coefficient {coefficient}");
            second.Step(coefficient);
            for (int i = 0; i < clipped.Length; i++) Assert.Equal(clipped[i].ToArray<float>(), folded[i].ToArray<float>());
        }
        Assert.Equal(1f, GradientClipping.ClipCoefficient(100f, 2f));
        Assert.Throws<ForgeException>(() => second.Step(float.NaN));
    }

    [Theory]
    [InlineData(-1f, 2f, "-1")]
    [InlineData(1f, 0f, "normType")]
    [InlineData(1f, -2f, "-2")]
    public void ClipGradNormRejectsBadArguments(float maxNorm, float normType, string expected)
    {
        var p = new Parameter(Tensor.Ones(3)) { Grad = Tensor.Ones(3) };
        var e = Assert.Throws<ForgeException>(() => GradientClipping.ClipGradNorm([p], maxNorm, normType));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}

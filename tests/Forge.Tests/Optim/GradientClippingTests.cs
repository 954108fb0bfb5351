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

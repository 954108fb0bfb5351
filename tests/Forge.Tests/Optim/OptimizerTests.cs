using Forge.Nn;
using Forge.Optim;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Optim;

public class OptimizerTests
{
    public static IEnumerable<object[]> Cases => OptimizerFixture.CaseNames();

    [Theory]
    [MemberData(nameof(Cases))]
    public void FiveStepsMatchPyTorch(string name)
    {
        Parameter[] parameters = OptimizerFixture.InitialParameters();
        Optimizer optimizer = OptimizerFixture.Build(name, parameters);
        for (int step = 0; step < 5; step++)
        {
            OptimizerFixture.Step(optimizer, parameters, step);
            OptimizerFixture.AssertStep(name, parameters, step);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void StateDictRoundTripMidRunContinuesIdentically(string name)
    {
        Parameter[] first = OptimizerFixture.InitialParameters();
        Optimizer original = OptimizerFixture.Build(name, first);
        OptimizerFixture.Step(original, first, 0);
        OptimizerFixture.Step(original, first, 1);
        OptimizerState saved = original.StateDict();

        Parameter[] resumed = [.. first.Select(p => new Parameter(p.Detach().Clone()))];
        Optimizer restored = OptimizerFixture.Build(name, resumed);
        foreach (ParameterGroup group in restored.ParameterGroups) group.LearningRate = 123;
        restored.LoadStateDict(new OptimizerState(saved.Tensors, System.Text.Json.Nodes.JsonNode.Parse(saved.Values.ToJsonString())!.AsObject()));
        Assert.Equal(original.ParameterGroups.Select(g => g.LearningRate), restored.ParameterGroups.Select(g => g.LearningRate));
        for (int step = 2; step < 5; step++)
        {
            OptimizerFixture.Step(restored, resumed, step);
            OptimizerFixture.AssertStep(name, resumed, step);
        }
    }

    [Fact]
    public void StateDictHoldsAdamBuffersAndStepCounts()
    {
        Parameter[] parameters = OptimizerFixture.InitialParameters();
        var adam = new Adam(parameters, amsGrad: true);
        OptimizerFixture.Step(adam, parameters, 0);
        OptimizerState state = adam.StateDict();
        Assert.Equal(9, state.Tensors.Count);
        Assert.Equal([3, 4], state.Tensors["state.0.exp_avg"].Shape);
        Assert.True(state.Tensors.ContainsKey("state.2.max_exp_avg_sq"));
        Assert.Equal(1, state.Values["state"]!["1"]!["step"]!.GetValue<long>());
        Assert.Equal(1e-3, state.Values["param_groups"]![0]!["lr"]!.GetValue<double>());
    }

    [Fact]
    public void ParametersWithoutGradientsAreSkipped()
    {
        Parameter[] parameters = OptimizerFixture.InitialParameters();
        float[] before = parameters[1].ToArray<float>();
        var sgd = new Sgd(parameters, 0.1, momentum: 0.9);
        parameters[0].Grad = OptimizerFixture.Gradient(0, 0);
        parameters[2].Grad = OptimizerFixture.Gradient(0, 2);
        sgd.Step();
        Assert.Equal(before, parameters[1].ToArray<float>());
        Assert.NotEqual(OptimizerFixture.InitialParameters()[0].ToArray<float>(), parameters[0].ToArray<float>());
        Assert.Equal(["state.0.momentum_buffer", "state.2.momentum_buffer"], sgd.StateDict().Tensors.Keys.Order());
    }

    [Fact]
    public void ZeroGradSetsGradientsToNullByDefault()
    {
        Parameter[] parameters = OptimizerFixture.InitialParameters();
        var sgd = new Sgd(parameters, 0.1);
        foreach (var p in parameters) p.Grad = Tensor.OnesLike(p);
        sgd.ZeroGrad();
        Assert.All(parameters, p => Assert.Null(p.Grad));
    }

    [Fact]
    public void ZeroGradWithoutSetToNoneZeroesInPlace()
    {
        Parameter[] parameters = OptimizerFixture.InitialParameters();
        var adam = new Adam(parameters);
        var grads = parameters.Select(p => Tensor.OnesLike(p)).ToArray();
        for (int i = 0; i < parameters.Length; i++) parameters[i].Grad = grads[i];
        adam.ZeroGrad(setToNone: false);
        for (int i = 0; i < parameters.Length; i++)
        {
            Assert.Same(grads[i], parameters[i].Grad);
            Assert.All(grads[i].ToArray<float>(), v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void NonContiguousParameterIsUpdatedThroughItsView()
    {
        var storage = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        var parameter = new Parameter(storage.Transpose(0, 1));
        parameter.Grad = Tensor.Ones(3, 2);
        new Sgd([parameter], 0.5).Step();
        TensorAssert.Close(Tensor.FromArray([0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f], 2, 3), storage);
    }

    [Fact]
    public void GroupOptionsOverrideOptimizerDefaults()
    {
        Parameter[] parameters = OptimizerFixture.InitialParameters();
        var groups = new[]
        {
            new ParameterGroup(parameters.Take(2)) { LearningRate = 0.5 },
            new ParameterGroup(parameters.Skip(2)) { WeightDecay = 0.2, Beta1 = 0.5 },
        };
        var adamw = new AdamW(groups, learningRate: 0.01);
        Assert.Equal(0.5, adamw.ParameterGroups[0].LearningRate);
        Assert.Equal(0.01, adamw.ParameterGroups[0].WeightDecay);
        Assert.Equal(0.01, adamw.ParameterGroups[1].LearningRate);
        Assert.Equal(0.2, adamw.ParameterGroups[1].WeightDecay);
        Assert.Equal(0.5, adamw.ParameterGroups[1].Beta1);
        Assert.Equal(0.999, adamw.ParameterGroups[1].Beta2);
    }

    [Fact]
    public void LoadStateDictRejectsDifferentGroupCount()
    {
        Parameter[] parameters = OptimizerFixture.InitialParameters();
        var twoGroups = new Sgd([new ParameterGroup(parameters.Take(2)), new ParameterGroup(parameters.Skip(2))], 0.1);
        var oneGroup = new Sgd(OptimizerFixture.InitialParameters(), 0.1);
        var e = Assert.Throws<ForgeException>(() => oneGroup.LoadStateDict(twoGroups.StateDict()));
        Assert.Contains("2 parameter groups", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadStateDictRejectsDifferentParameterCount()
    {
        Parameter[] parameters = OptimizerFixture.InitialParameters();
        var three = new Adam(parameters);
        var two = new Adam(parameters.Take(2));
        var e = Assert.Throws<ForgeException>(() => two.LoadStateDict(three.StateDict()));
        Assert.Contains("has 2 parameters", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadStateDictRejectsDifferentShapesAndKeepsState()
    {
        Parameter[] parameters = OptimizerFixture.InitialParameters();
        var source = new Adam(parameters);
        OptimizerFixture.Step(source, parameters, 0);
        Parameter[] reshaped = [new Parameter(Tensor.Zeros(4, 3)), new Parameter(Tensor.Zeros(4)), new Parameter(Tensor.Zeros(5))];
        var target = new Adam(reshaped);
        var e = Assert.Throws<ForgeException>(() => target.LoadStateDict(source.StateDict()));
        Assert.Contains("[3, 4]", e.Message, StringComparison.Ordinal);
        Assert.Empty(target.StateDict().Tensors);
    }

    [Fact]
    public void LoadStateDictRejectsAnotherOptimizerType()
    {
        Parameter[] parameters = OptimizerFixture.InitialParameters();
        var e = Assert.Throws<ForgeException>(() => new AdamW(parameters).LoadStateDict(new Adam(parameters).StateDict()));
        Assert.Contains("'Adam'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithNoDecayPutsBiasesNormsAndVectorsInTheUndecayedGroup()
    {
        var weight = new Parameter(Tensor.Zeros(4, 4));
        var embedding = new Parameter(Tensor.Zeros(10, 4));
        var bias = new Parameter(Tensor.Zeros(4));
        var lnWeight = new Parameter(Tensor.Zeros(4));
        var matrixNamedNorm = new Parameter(Tensor.Zeros(2, 2));
        var groups = ParameterGroups.WithNoDecay(
        [
            ("h.0.attn.weight", weight), ("wte.weight", embedding), ("h.0.attn.bias", bias),
            ("h.0.ln_1.weight", lnWeight), ("h.0.LayerNorm.scale", matrixNamedNorm),
        ], 0.1);
        Assert.Equal(2, groups.Count);
        Assert.Equal(0.1, groups[0].WeightDecay);
        Assert.Equal(new Tensor[] { weight, embedding }, groups[0].Parameters);
        Assert.Equal(0, groups[1].WeightDecay);
        Assert.Equal(new Tensor[] { bias, lnWeight, matrixNamedNorm }, groups[1].Parameters);
        var adamw = new AdamW(groups);
        Assert.Equal(0.0, adamw.ParameterGroups[1].WeightDecay);
    }

    [Fact]
    public void WithNoDecayUsesACustomRuleAndDropsEmptyGroups()
    {
        var a = new Parameter(Tensor.Zeros(3));
        var b = new Parameter(Tensor.Zeros(3, 3));
        var groups = ParameterGroups.WithNoDecay([("a", a), ("b", b)], 0.05, noDecay: (_, _) => false);
        Assert.Single(groups);
        Assert.Equal(new Tensor[] { a, b }, groups[0].Parameters);
    }

    public static TheoryData<string, string> BadArguments => new()
    {
        { "lr", "-0.1" },
        { "beta1", "1" },
        { "beta2", "-0.5" },
        { "nesterov", "momentum 0" },
        { "eps", "-1E-08" },
        { "weightDecay", "-0.01" },
        { "duplicate", "more than one group" },
        { "empty", "empty parameter list" },
        { "groupLr", "-2" },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void BadArgumentsRaiseForgeExceptionNamingTheValue(string argument, string expected)
    {
        var p = new Parameter(Tensor.Zeros(2));
        Action create = argument switch
        {
            "lr" => () => _ = new Sgd([p], -0.1),
            "beta1" => () => _ = new Adam([p], beta1: 1),
            "beta2" => () => _ = new AdamW([p], beta2: -0.5),
            "nesterov" => () => _ = new Sgd([p], 0.1, momentum: 0, nesterov: true),
            "eps" => () => _ = new Lamb([p], epsilon: -1e-8),
            "weightDecay" => () => _ = new Adam([p], weightDecay: -0.01),
            "duplicate" => () => _ = new Sgd([new ParameterGroup([p]), new ParameterGroup([p])], 0.1),
            "empty" => () => _ = new Adam(Array.Empty<Tensor>()),
            _ => () =>
            {
                var sgd = new Sgd([p], 0.1);
                sgd.ParameterGroups[0].LearningRate = -2;
                sgd.Step();
            },
        };
        var e = Assert.Throws<ForgeException>(create);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}

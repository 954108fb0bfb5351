using System.Text.Json;
using System.Text.Json.Nodes;
using Forge.Nn;
using Forge.Optim;
using Forge.Optim.Schedulers;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Optim;

public class SchedulerTests
{
    private static readonly Fixture Data = Fixture.Load("schedulers");

    public static IEnumerable<object[]> Cases => Data["cases"].Names.Where(n => !n.StartsWith("plateau", StringComparison.Ordinal)).Select(n => new object[] { n });

    public static IEnumerable<object[]> PlateauCases => Data["cases"].Names.Where(n => n.StartsWith("plateau", StringComparison.Ordinal)).Select(n => new object[] { n });

    private static Sgd NewOptimizer()
    {
        double[] lrs = [.. Data.Json.GetProperty("base_lrs").EnumerateArray().Select(e => e.GetDouble())];
        return new Sgd(
        [
            new ParameterGroup([new Parameter(Tensor.Zeros(2))]) { LearningRate = lrs[0] },
            new ParameterGroup([new Parameter(Tensor.Zeros(3))]) { LearningRate = lrs[1] },
        ], lrs[0]);
    }

    private static LearningRateScheduler Build(Optimizer optimizer, JsonElement spec)
    {
        double D(string key) => spec.GetProperty(key).GetDouble();
        int I(string key) => spec.GetProperty(key).GetInt32();
        return spec.GetProperty("kind").GetString() switch
        {
            "step" => new StepLR(optimizer, I("step_size"), D("gamma")),
            "multistep" => new MultiStepLR(optimizer, spec.GetProperty("milestones").EnumerateArray().Select(e => e.GetInt32()), D("gamma")),
            "exponential" => new ExponentialLR(optimizer, D("gamma")),
            "linear" => new LinearLR(optimizer, D("start_factor"), D("end_factor"), I("total_iters")),
            "cosine" => new CosineAnnealingLR(optimizer, I("t_max"), D("eta_min")),
            "warm_restarts" => new CosineAnnealingWarmRestarts(optimizer, I("t_0"), I("t_mult"), D("eta_min")),
            "cyclic" => new CyclicLR(optimizer, D("base_lr"), D("max_lr"), I("step_size_up"),
                spec.TryGetProperty("step_size_down", out var down) && down.ValueKind == JsonValueKind.Number ? down.GetInt32() : null,
                spec.GetProperty("mode").GetString() switch { "triangular" => CyclicMode.Triangular, "triangular2" => CyclicMode.Triangular2, _ => CyclicMode.ExpRange },
                D("gamma")),
            "one_cycle" => new OneCycleLR(optimizer, D("max_lr"), I("total_steps"), D("pct_start"),
                spec.GetProperty("anneal").GetString() == "cos" ? AnnealStrategy.Cosine : AnnealStrategy.Linear,
                D("div_factor"), D("final_div_factor"), spec.GetProperty("three_phase").GetBoolean()),
            "lambda" => new LambdaLR(optimizer, e => 1.0 / (1.0 + 0.1 * e)),
            "sequential" => new SequentialLR(optimizer,
                [.. spec.GetProperty("schedulers").EnumerateArray().Select(s => Build(optimizer, s))],
                [.. spec.GetProperty("milestones").EnumerateArray().Select(e => e.GetInt32())]),
            "warmup" => new WarmupScheduler(optimizer, I("warmup_steps"), Build(optimizer, spec.GetProperty("after")), D("start_factor")),
            "linear_warmup_decay" => new LinearWarmupDecay(optimizer, I("warmup_steps"), I("total_steps")),
            "cosine_warmup_decay" => new CosineWarmupDecay(optimizer, I("warmup_steps"), I("total_steps"), D("cycles")),
            var kind => throw new InvalidOperationException(kind),
        };
    }

    private static ReduceLROnPlateau BuildPlateau(Optimizer optimizer, JsonElement spec) => new(optimizer,
        spec.GetProperty("mode").GetString() == "min" ? PlateauMode.Min : PlateauMode.Max,
        spec.GetProperty("factor").GetDouble(), spec.GetProperty("patience").GetInt32(), spec.GetProperty("threshold").GetDouble(),
        spec.GetProperty("threshold_mode").GetString() == "rel" ? ThresholdMode.Relative : ThresholdMode.Absolute,
        spec.GetProperty("cooldown").GetInt32(), spec.GetProperty("min_lr").GetDouble(), spec.GetProperty("eps").GetDouble());

    private static double[][] Expected(JsonElement spec) =>
        [.. spec.GetProperty("lrs").EnumerateArray().Select(row => row.EnumerateArray().Select(e => e.GetDouble()).ToArray())];

    private static void AssertRates(double[] expected, Optimizer optimizer, IReadOnlyList<double> lastLr, string what)
    {
        for (int g = 0; g < expected.Length; g++)
        {
            double tolerance = 1e-12 + 1e-9 * Math.Abs(expected[g]);
            double actual = optimizer.ParameterGroups[g].LearningRate;
            Assert.True(Math.Abs(expected[g] - actual) <= tolerance, $"{what} group {g}: {actual:R}, expected {expected[g]:R}");
            Assert.Equal(actual, lastLr[g]);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LearningRatesMatchPyTorch(string name)
    {
        JsonElement spec = Data["cases"][name].Json;
        double[][] expected = Expected(spec);
        Sgd optimizer = NewOptimizer();
        LearningRateScheduler scheduler = Build(optimizer, spec);
        AssertRates(expected[0], optimizer, scheduler.GetLastLr(), $"{name} after construction");
        for (int step = 1; step < expected.Length; step++)
        {
            optimizer.Step();
            scheduler.Step();
            AssertRates(expected[step], optimizer, scheduler.GetLastLr(), $"{name} step {step}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void StateDictRoundTripMidRunContinuesIdentically(string name)
    {
        JsonElement spec = Data["cases"][name].Json;
        double[][] expected = Expected(spec);
        int split = expected.Length / 2;
        Sgd optimizer = NewOptimizer();
        LearningRateScheduler scheduler = Build(optimizer, spec);
        for (int step = 1; step <= split; step++) scheduler.Step();
        OptimizerState optimizerState = optimizer.StateDict();
        string schedulerJson = scheduler.StateDict().ToJsonString();

        Sgd resumedOptimizer = NewOptimizer();
        LearningRateScheduler resumed = Build(resumedOptimizer, spec);
        resumedOptimizer.LoadStateDict(optimizerState);
        resumed.LoadStateDict(JsonNode.Parse(schedulerJson)!.AsObject());
        Assert.Equal(scheduler.LastEpoch, resumed.LastEpoch);
        AssertRates(expected[split], resumedOptimizer, resumed.GetLastLr(), $"{name} restored at step {split}");
        for (int step = split + 1; step < expected.Length; step++)
        {
            resumed.Step();
            AssertRates(expected[step], resumedOptimizer, resumed.GetLastLr(), $"{name} resumed step {step}");
        }
    }

    [Theory]
    [MemberData(nameof(PlateauCases))]
    public void ReduceLROnPlateauMatchesPyTorch(string name)
    {
        JsonElement spec = Data["cases"][name].Json;
        double[][] expected = Expected(spec);
        double[] metrics = [.. spec.GetProperty("metrics").EnumerateArray().Select(e => e.GetDouble())];
        Sgd optimizer = NewOptimizer();
        ReduceLROnPlateau scheduler = BuildPlateau(optimizer, spec);
        AssertRates(expected[0], optimizer, scheduler.GetLastLr(), $"{name} after construction");
        for (int step = 1; step < expected.Length; step++)
        {
            scheduler.Step(metrics[step - 1]);
            AssertRates(expected[step], optimizer, scheduler.GetLastLr(), $"{name} step {step}");
        }
    }

    [Theory]
    [MemberData(nameof(PlateauCases))]
    public void ReduceLROnPlateauStateRoundTripContinuesIdentically(string name)
    {
        JsonElement spec = Data["cases"][name].Json;
        double[][] expected = Expected(spec);
        double[] metrics = [.. spec.GetProperty("metrics").EnumerateArray().Select(e => e.GetDouble())];
        Sgd optimizer = NewOptimizer();
        ReduceLROnPlateau scheduler = BuildPlateau(optimizer, spec);
        int split = metrics.Length / 2;
        for (int step = 1; step <= split; step++) scheduler.Step(metrics[step - 1]);

        Sgd resumedOptimizer = NewOptimizer();
        ReduceLROnPlateau resumed = BuildPlateau(resumedOptimizer, spec);
        resumedOptimizer.LoadStateDict(optimizer.StateDict());
        resumed.LoadStateDict(JsonNode.Parse(scheduler.StateDict().ToJsonString())!.AsObject());
        Assert.Equal(scheduler.Best, resumed.Best);
        for (int step = split + 1; step < expected.Length; step++)
        {
            resumed.Step(metrics[step - 1]);
            AssertRates(expected[step], resumedOptimizer, resumed.GetLastLr(), $"{name} resumed step {step}");
        }
    }

    [Fact]
    public void LoadStateDictRejectsAnotherSchedulerOrGroupCount()
    {
        Sgd optimizer = NewOptimizer();
        var step = new StepLR(optimizer, 3);
        var e = Assert.Throws<ForgeException>(() => new ExponentialLR(NewOptimizer(), 0.9).LoadStateDict(step.StateDict()));
        Assert.Contains("'StepLR'", e.Message, StringComparison.Ordinal);
        var single = new Sgd([new Parameter(Tensor.Zeros(1))], 0.1);
        e = Assert.Throws<ForgeException>(() => new StepLR(single, 3).LoadStateDict(step.StateDict()));
        Assert.Contains("2 entries", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConstructionRecordsInitialLearningRates()
    {
        Sgd optimizer = NewOptimizer();
        var scheduler = new LinearLR(optimizer, 0.5, 1.0, 4);
        Assert.Equal([0.1, 0.05], scheduler.BaseLearningRates);
        Assert.Equal([0.1, 0.05], optimizer.ParameterGroups.Select(g => g.InitialLearningRate!.Value));
        Assert.Equal([0.05, 0.025], scheduler.GetLastLr());
        Assert.Equal(0, scheduler.LastEpoch);
    }

    public static TheoryData<string, string> BadArguments => new()
    {
        { "warmRestartsT0", "0" },
        { "warmRestartsTMult", "-1" },
        { "stepSize", "stepSize" },
        { "linearStart", "1.5" },
        { "cosineTMax", "tMax" },
        { "plateauFactor", "1.5" },
        { "oneCyclePct", "1.2" },
        { "oneCycleOverrun", "total is 3 steps" },
        { "cyclicStepSize", "stepSizeUp" },
        { "sequentialMilestones", "one milestone fewer" },
        { "warmupTotal", "totalSteps" },
        { "nonFiniteLambda", "NaN" },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void BadArgumentsRaiseForgeExceptionNamingTheValue(string argument, string expected)
    {
        Sgd o = NewOptimizer();
        Action create = argument switch
        {
            "warmRestartsT0" => () => _ = new CosineAnnealingWarmRestarts(o, 0),
            "warmRestartsTMult" => () => _ = new CosineAnnealingWarmRestarts(o, 5, -1),
            "stepSize" => () => _ = new StepLR(o, 0),
            "linearStart" => () => _ = new LinearLR(o, 1.5),
            "cosineTMax" => () => _ = new CosineAnnealingLR(o, 0),
            "plateauFactor" => () => _ = new ReduceLROnPlateau(o, factor: 1.5),
            "oneCyclePct" => () => _ = new OneCycleLR(o, 0.1, 10, pctStart: 1.2),
            "oneCycleOverrun" => () =>
            {
                var s = new OneCycleLR(o, 0.1, 3);
                for (int i = 0; i < 4; i++) s.Step();
            },
            "cyclicStepSize" => () => _ = new CyclicLR(o, 0.01, 0.1, stepSizeUp: 0),
            "sequentialMilestones" => () => _ = new SequentialLR(o, [new StepLR(o, 2), new ExponentialLR(o, 0.5)], []),
            "warmupTotal" => () => _ = new LinearWarmupDecay(o, 10, 5),
            _ => () => _ = new LambdaLR(o, e => double.NaN),
        };
        var e = Assert.Throws<ForgeException>(create);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}

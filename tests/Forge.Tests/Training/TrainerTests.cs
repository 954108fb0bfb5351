using System.Text.Json.Nodes;
using Forge.Data;
using Forge.Models.Gpt2;
using Forge.Serialization;
using Forge.Tensors;
using Forge.Training;
using Forge.Training.Logging;
using Xunit;

namespace Forge.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private static readonly Gpt2Config Micro = new() { VocabSize = 32, NPositions = 16, NEmbd = 16, NLayer = 2, NHead = 2 };

    private readonly string root = Directory.CreateTempSubdirectory("forge-trainer-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>A token stream with structure to learn: runs of a repeated pattern with a random token now and then.</summary>
    private static TokenDataset Stream(int count)
    {
        var random = new Generator(5);
        int[] tokens = [.. Enumerable.Range(0, count).Select(i => i % 9 == 8 ? (int)random.NextInt64(32) : i % 9 * 3 % 32)];
        return new TokenDataset(tokens);
    }

    private sealed record Setup(Gpt2LanguageModel Model, Trainer<(Tensor Input, Tensor Target)> Trainer);

    private static Setup Create(string output, int steps, bool resume = false, int saveEvery = 4, int evalEvery = 0,
        Func<TrainerOptions, TrainerOptions>? adjust = null, Func<IReadOnlyDictionary<string, double>>? metrics = null, TextWriter? log = null)
    {
        var (train, validation) = Stream(3000).Split(0.1);
        var model = new Gpt2LanguageModel(Micro, seed: 2);
        var loader = new TokenDataLoader(train, 4, 8, shuffle: true, seed: 3);
        var validationLoader = new TokenDataLoader(validation, 4, 8, shuffle: false);
        var options = new TrainerOptions
        {
            OutputDirectory = output, MaxSteps = steps, LearningRate = 1e-2, WarmupSteps = 2, SaveEvery = saveEvery, EvalEvery = evalEvery,
            EvalBatches = 3, KeepLast = 2, Resume = resume,
        };
        var trainer = new Trainer<(Tensor Input, Tensor Target)>(model, b => model.Loss(b.Input, b.Target), loader, adjust?.Invoke(options) ?? options,
            () => Enumerable.Range(0, validationLoader.BatchesPerEpoch).Select(i => validationLoader.GetBatch(0, i)), model.Generator, b => b.Input.Numel)
        {
            EvaluationMetrics = metrics,
            BatchTensors = b => [b.Input, b.Target],
            Log = log ?? TextWriter.Null,
        };
        return new Setup(model, trainer);
    }

    private static double[] Losses(string output) =>
        [.. MetricsLog.Read(Path.Combine(output, MetricsLog.FileName)).Where(r => r["loss"] is not null).Select(r => (double)r["loss"]!)];

    [Fact]
    public void TrainingLowersTheLossAndWritesMetricsEventsChartAndCheckpoints()
    {
        string output = Path.Combine(root, "run");
        TrainingSummary summary = Create(output, steps: 40, saveEvery: 10, evalEvery: 10).Trainer.Train();
        Assert.Equal(40, summary.Step);
        double[] losses = Losses(output);
        Assert.Equal(40, losses.Length);
        Assert.True(losses[^5..].Average() < losses[..5].Average() - 1, $"loss went from {losses[0]} to {losses[^1]}");

        var records = MetricsLog.Read(Path.Combine(output, MetricsLog.FileName));
        Assert.Equal([10L, 20L, 30L, 40L], records.Where(r => r["val_loss"] is not null).Select(r => (long)r["step"]!));
        Assert.NotNull(summary.BestValidationLoss);
        Assert.Single(Directory.GetFiles(output, "events.out.tfevents.*"));
        Assert.True(new FileInfo(Path.Combine(output, "loss.png")).Length > 1000);
        string[] kept = [.. Directory.GetDirectories(Path.Combine(output, "checkpoints")).Select(Path.GetFileName).Order()!];
        Assert.Contains("step-40", kept);
        Assert.Contains("step-30", kept);
        Assert.True(kept.Length <= 3, string.Join(", ", kept));
        Assert.Equal(Checkpoint.StepDirectory(Path.Combine(output, "checkpoints"), 40), summary.LastCheckpoint);
    }

    [Fact]
    public void EarlyStoppingEndsTheRunWhenTheBestMetricStopsImprovingAndKeepsTheBestCheckpoint()
    {
        string output = Path.Combine(root, "early");
        double[] accuracies = [0.5, 0.75, 0.7, 0.6, 0.9];
        int evaluation = 0;
        Setup setup = Create(output, steps: 50, saveEvery: 0, evalEvery: 5,
            adjust: o => o with { BestMetric = "accuracy", EarlyStoppingPatience = 2, KeepLast = 1 },
            metrics: () => new Dictionary<string, double> { ["accuracy"] = accuracies[evaluation++] });
        var seen = new List<IReadOnlyDictionary<string, double>>();
        setup.Trainer.Evaluated += (_, values) => seen.Add(values);
        TrainingSummary summary = setup.Trainer.Train();

        Assert.True(summary.StoppedEarly);
        Assert.Equal(20, summary.Step);
        Assert.Equal(0.75, summary.BestValidationLoss);
        Assert.Equal(Checkpoint.StepDirectory(Path.Combine(output, "checkpoints"), 10), summary.BestCheckpoint);
        Assert.True(Directory.Exists(summary.BestCheckpoint));
        Assert.Equal(4, seen.Count);
        Assert.All(seen, v => Assert.True(v.ContainsKey("val_loss") && v.ContainsKey("val_accuracy")));
        var records = MetricsLog.Read(Path.Combine(output, MetricsLog.FileName));
        Assert.Equal([0.5, 0.75, 0.7, 0.6], records.Where(r => r["val_accuracy"] is not null).Select(r => (double)r["val_accuracy"]!));
    }

    [Fact]
    public void AnUnknownBestMetricIsAClearError()
    {
        Setup setup = Create(Path.Combine(root, "unknown"), steps: 4, evalEvery: 2, adjust: o => o with { BestMetric = "f1" });
        var error = Assert.Throws<ForgeException>(() => setup.Trainer.Train());
        Assert.Contains("'f1'", error.Message, StringComparison.Ordinal);
        Assert.Contains("val_loss", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheLinearScheduleWarmsUpThenDecaysLinearlyToZero()
    {
        Setup setup = Create(Path.Combine(root, "linear"), steps: 10, saveEvery: 0,
            adjust: o => o with { Schedule = LearningRateSchedule.Linear, WarmupSteps = 2, LearningRate = 1e-2 });
        var rates = new List<double>();
        setup.Trainer.StepCompleted += step => rates.Add(step.LearningRate);
        setup.Trainer.Train();
        double[] expected = [0, 5e-3, 1e-2, 8.75e-3, 7.5e-3, 6.25e-3, 5e-3, 3.75e-3, 2.5e-3, 1.25e-3];
        Assert.Equal(expected.Length, rates.Count);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], rates[i], 12);
    }

    [Fact]
    public void AnInterruptedRunResumedFromItsCheckpointLogsTheSameLossesAsAnUninterruptedOne()
    {
        string straight = Path.Combine(root, "straight");
        Create(straight, steps: 14).Trainer.Train();

        string interrupted = Path.Combine(root, "interrupted");
        Setup first = Create(interrupted, steps: 14);
        first.Trainer.StepCompleted += step =>
        {
            if (step.Step == 10) throw new OperationCanceledException("simulated crash after step 10");
        };
        Assert.Throws<OperationCanceledException>(() => first.Trainer.Train());
        Assert.Equal(10, Losses(interrupted).Length);
        Assert.Equal(8, TrainingCheckpoint.Load(Checkpoint.FindLatest(Path.Combine(interrupted, "checkpoints"))!, Create(Path.Combine(root, "x"), 1).Model).Step);

        TrainingSummary resumed = Create(interrupted, steps: 14, resume: true).Trainer.Train();
        Assert.EndsWith("step-8", resumed.ResumedFrom, StringComparison.Ordinal);
        Assert.Equal(Losses(straight), Losses(interrupted));
    }

    [Fact]
    public void ResumeWithoutACheckpointStartsFromTheBeginning()
    {
        string output = Path.Combine(root, "fresh");
        TrainingSummary summary = Create(output, steps: 3, resume: true).Trainer.Train();
        Assert.Null(summary.ResumedFrom);
        Assert.Equal(3, Losses(output).Length);
    }

    [Fact]
    public void TheTimeLimitStopsCleanlyWithAFinalCheckpoint()
    {
        string output = Path.Combine(root, "timed");
        Setup setup = Create(output, steps: 100000, saveEvery: 0);
        var trainer = new Trainer<(Tensor Input, Tensor Target)>(setup.Model, b => setup.Model.Loss(b.Input, b.Target),
            new TokenDataLoader(Stream(3000), 4, 8, seed: 1), setup.Trainer.Options with { MaxMinutes = 0.02 });
        TrainingSummary summary = trainer.Train();
        Assert.True(summary.StoppedByTimeLimit);
        Assert.InRange(summary.Step, 1, 99999);
        Assert.True(Checkpoint.IsComplete(summary.LastCheckpoint));
    }

    [Fact]
    public void CheckpointsOfAnotherModelAreRejectedOnResume()
    {
        string output = Path.Combine(root, "other");
        Create(output, steps: 4).Trainer.Train();
        var model = new Gpt2LanguageModel(Micro with { NEmbd = 8 });
        var trainer = new Trainer<(Tensor Input, Tensor Target)>(model, b => model.Loss(b.Input, b.Target),
            new TokenDataLoader(Stream(3000), 4, 8), new TrainerOptions { OutputDirectory = output, MaxSteps = 8, Resume = true });
        var e = Assert.Throws<ForgeException>(() => trainer.Train());
        Assert.Contains("wte.weight", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANonFiniteGradientNormStopsTrainingWithAClearErrorBeforeTheParametersChange()
    {
        var model = new Gpt2LanguageModel(Micro, seed: 2);
        Tensor weight = model.Parameters()[0];
        float[] before = weight.ToArray<float>();
        // √(0·w) is 0, a finite loss term, but its gradient is ∞·0: the gradients are NaN.
        var trainer = new Trainer<(Tensor Input, Tensor Target)>(model, b => model.Loss(b.Input, b.Target).Add(weight.Mul(0).Sum().Sqrt()),
            new TokenDataLoader(Stream(3000), 4, 8), new TrainerOptions { OutputDirectory = Path.Combine(root, "nan"), MaxSteps = 2 });
        var e = Assert.Throws<ForgeException>(() => trainer.Train());
        Assert.Contains("gradient norm became NaN", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, weight.ToArray<float>());
    }

    [Fact]
    public void BadOptionsAreErrors()
    {
        Assert.Throws<ForgeException>(() => new TrainerOptions { OutputDirectory = root, MaxSteps = 0 }.Validate());
        Assert.Throws<ForgeException>(() => new TrainerOptions { OutputDirectory = root, LearningRate = -1 }.Validate());
        Assert.Throws<ForgeException>(() => new TrainerOptions { OutputDirectory = root, GradientAccumulationSteps = 0 }.Validate());
        Assert.Throws<ForgeException>(() => new TrainerOptions { OutputDirectory = root, MaxMinutes = 0 }.Validate());
        Assert.Throws<ForgeException>(() => new TrainerOptions { OutputDirectory = root, KeepLast = 0 }.Validate());
    }

    [Fact]
    public void GradientAccumulationAveragesTheLossOfItsBatches()
    {
        string output = Path.Combine(root, "accumulated");
        Setup setup = Create(output, steps: 1);
        var trainer = new Trainer<(Tensor Input, Tensor Target)>(setup.Model, b => setup.Model.Loss(b.Input, b.Target),
            new TokenDataLoader(Stream(3000), 4, 8, seed: 1), setup.Trainer.Options with { GradientAccumulationSteps = 3 });
        var probe = new TokenDataLoader(Stream(3000), 4, 8, seed: 1);
        var reference = new Gpt2LanguageModel(Micro, seed: 2);
        double expected = Enumerable.Range(0, 3).Select(_ => probe.Next()).Average(b => (double)reference.Loss(b.Input, b.Target).Item());
        trainer.Train();
        Assert.Equal(expected, Losses(output)[0], 1e-5);
        Assert.Equal(3, (int)JsonNode.Parse(File.ReadAllText(Path.Combine(output, "checkpoints", "step-1", "state.json")))!["extra"]!["data"]!["position"]!);
    }

    private static float[][] Parameters(Gpt2LanguageModel model) => [.. model.Parameters().Select(p => p.ToArray<float>())];

    [Fact]
    public void AStepGraphTrainsExactlyAsEagerStepsThroughAccumulationEvaluationAndResumption()
    {
        static TrainerOptions Accumulate(TrainerOptions o) => o with { GradientAccumulationSteps = 2 };
        static TrainerOptions Graph(TrainerOptions o) => o with { GradientAccumulationSteps = 2, UseStepGraph = true };
        string eager = Path.Combine(root, "eager");
        Setup reference = Create(eager, steps: 12, evalEvery: 3, adjust: Accumulate);
        reference.Trainer.Train();

        string graphed = Path.Combine(root, "graphed");
        var log = new StringWriter();
        Setup first = Create(graphed, steps: 12, evalEvery: 3, adjust: Graph, log: log);
        first.Trainer.StepCompleted += step =>
        {
            if (step.Step == 10) throw new OperationCanceledException("simulated crash after step 10");
        };
        Assert.Throws<OperationCanceledException>(() => first.Trainer.Train());
        Setup resumed = Create(graphed, steps: 12, resume: true, evalEvery: 3, adjust: Graph, log: log);
        resumed.Trainer.Train();

        Assert.Equal(2, log.ToString().Split("Captured the training step").Length - 1);
        Assert.Equal(Losses(eager), Losses(graphed));
        Assert.Equal(Parameters(reference.Model), Parameters(resumed.Model));
    }

    /// <summary>Two batches of 4 × 8 tokens, then one of 2 × 6, and again.</summary>
    private sealed class ChangingShapes : IBatchSource<(Tensor Input, Tensor Target)>
    {
        private readonly TokenDataLoader large = new(Stream(3000), 4, 8, seed: 1), small = new(Stream(3000), 2, 6, seed: 2);
        private int drawn;

        public (Tensor Input, Tensor Target) NextBatch() => drawn++ % 3 == 2 ? small.Next() : large.Next();

        public JsonObject StateDict() => new() { ["drawn"] = drawn };

        public void LoadStateDict(JsonObject state) => throw new NotSupportedException();
    }

    [Fact]
    public void WithAStepGraphBatchesOfOtherShapesRunEagerlyWithTheSameResults()
    {
        (double[] Losses, float[][] Parameters) Run(string name, bool graph, TextWriter log)
        {
            var model = new Gpt2LanguageModel(Micro, seed: 2);
            string output = Path.Combine(root, name);
            var trainer = new Trainer<(Tensor Input, Tensor Target)>(model, b => model.Loss(b.Input, b.Target), new ChangingShapes(),
                new TrainerOptions { OutputDirectory = output, MaxSteps = 7, LearningRate = 1e-2, UseStepGraph = graph }, generator: model.Generator)
            {
                BatchTensors = b => [b.Input, b.Target],
                Log = log,
            };
            trainer.Train();
            return (Losses(output), Parameters(model));
        }

        var log = new StringWriter();
        var eager = Run("eager", graph: false, TextWriter.Null);
        var graphed = Run("graphed", graph: true, log);
        Assert.Contains("runs eagerly", log.ToString(), StringComparison.Ordinal);
        Assert.Equal(eager.Losses, graphed.Losses);
        Assert.Equal(eager.Parameters, graphed.Parameters);
    }

    [Fact]
    public void AStepGraphNeedsBatchTensorsAndALossThatReadsNothingOnTheHost()
    {
        var model = new Gpt2LanguageModel(Micro, seed: 2);
        var options = new TrainerOptions { OutputDirectory = Path.Combine(root, "refused"), MaxSteps = 2, UseStepGraph = true };
        var noTensors = new Trainer<(Tensor Input, Tensor Target)>(model, b => model.Loss(b.Input, b.Target), new TokenDataLoader(Stream(3000), 4, 8), options);
        Assert.Contains("BatchTensors", Assert.Throws<ForgeException>(() => noTensors.Train()).Message, StringComparison.Ordinal);

        Tensor HostReadingLoss((Tensor Input, Tensor Target) b)
        {
            Tensor loss = model.Loss(b.Input, b.Target);
            return loss.Item() > 100 ? loss.Mul(0) : loss;
        }
        var hostReading = new Trainer<(Tensor Input, Tensor Target)>(model, HostReadingLoss, new TokenDataLoader(Stream(3000), 4, 8), options)
        {
            BatchTensors = b => [b.Input, b.Target],
        };
        var e = Assert.Throws<ForgeException>(() => hostReading.Train());
        Assert.Contains("cannot be captured into a step graph", e.Message, StringComparison.Ordinal);
        Assert.Contains("Item", e.Message, StringComparison.Ordinal);
        Assert.IsType<StepGraphCaptureException>(e.InnerException);

        // Bad data is reported as itself, not as a step that cannot be captured.
        var tooLarge = new TokenDataset(Enumerable.Range(0, 3000).Select(i => i % 41).ToArray());
        var outside = new Trainer<(Tensor Input, Tensor Target)>(model, b => model.Loss(b.Input, b.Target), new TokenDataLoader(tooLarge, 4, 8), options)
        {
            BatchTensors = b => [b.Input, b.Target],
        };
        var data = Assert.Throws<ForgeException>(() => outside.Train());
        Assert.DoesNotContain("step graph", data.Message, StringComparison.Ordinal);
        Assert.Contains("out of range", data.Message, StringComparison.Ordinal);
    }
}

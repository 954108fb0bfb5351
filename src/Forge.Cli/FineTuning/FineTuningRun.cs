using System.Text.Json;
using System.Text.Json.Nodes;
using Forge.Data;
using Forge.Metrics;
using Forge.Nn;
using Forge.Training;
using Forge.Training.Logging;

namespace Forge.Cli.FineTuning;

/// <summary>What the fine-tuning commands share: their output names, the load report, the best checkpoint and the metrics file.</summary>
internal static class FineTuningRun
{
    /// <summary>The folder of the data splits.</summary>
    public const string DataFolder = "data";

    /// <summary>The folder of the fine-tuned Hugging Face directory.</summary>
    public const string FinalFolder = "final";

    /// <summary>The test metrics.</summary>
    public const string TestMetricsFile = "test_metrics.json";

    /// <summary>
    /// The Trainer both fine-tuning commands use: shuffled, dynamically padded batches of <paramref name="train"/>, AdamW (β2 0.999)
    /// with linear warmup and decay, an evaluation and a checkpoint every epoch (the last and the best kept), the best epoch picked by
    /// the larger <paramref name="bestMetric"/> of <paramref name="metrics"/>.
    /// </summary>
    public static Trainer<LabeledBatch> CreateTrainer(EncoderModel model, IReadOnlyList<EncodedExample> train, FineTuningSettings settings,
        string bestMetric, Func<IReadOnlyDictionary<string, double>> metrics, TextWriter o)
    {
        var source = new ExampleBatchSource<LabeledBatch>(train.Count, settings.BatchSize,
            (indices, _) => LabeledBatch.Collate([.. indices.Select(i => train[i])], settings.PadTokenId), shuffle: true, seed: (ulong)settings.Seed,
            dropLast: false);
        int stepsPerEpoch = source.BatchesPerEpoch;
        int maxSteps = settings.Epochs * stepsPerEpoch;
        var options = new TrainerOptions
        {
            OutputDirectory = settings.OutputDirectory,
            MaxSteps = maxSteps,
            LearningRate = settings.LearningRate,
            WarmupSteps = (int)Math.Ceiling(settings.WarmupRatio * maxSteps),
            Schedule = LearningRateSchedule.Linear,
            WeightDecay = settings.WeightDecay,
            Beta2 = 0.999,
            EvalEvery = stepsPerEpoch,
            SaveEvery = stepsPerEpoch,
            KeepLast = 1,
            BestMetric = bestMetric,
            GreaterIsBetter = true,
            EarlyStoppingPatience = settings.Patience,
            MaxMinutes = settings.MaxMinutes,
            Resume = settings.Resume,
        };
        o.WriteLine($"Training {settings.Epochs} epochs of {stepsPerEpoch} steps (batch {settings.BatchSize}) into {settings.OutputDirectory}");
        return new Trainer<LabeledBatch>(model.Module, model.Loss, source, options, generator: model.Generator, countTokens: b => b.TokenCount)
        {
            Progress = new ProgressLine(o, rewrite: ReferenceEquals(o, Console.Out) && !Console.IsOutputRedirected),
            Log = o,
            EvaluationMetrics = metrics,
        };
    }

    /// <summary>Prints which weights the head's creation initialized newly and which of the file's weights went unused.</summary>
    public static void PrintLoadReport(EncoderModel model, string directory, TextWriter o)
    {
        if (model.LoadReport is not { } report) return;
        o.WriteLine(report.NewlyInitialized.Count == 0
            ? $"Loaded every weight of the model from {directory}."
            : $"Newly initialized weights: {string.Join(", ", report.NewlyInitialized)}.");
        if (report.Unused.Count > 0) o.WriteLine($"Unused weights of {directory}: {string.Join(", ", report.Unused)}.");
    }

    /// <summary>Restores the weights of the best evaluation, if there was one, and says which weights the model keeps.</summary>
    public static void LoadBest(Module model, TrainingSummary summary, string metric, TextWriter o)
    {
        string finished = $"Finished at step {summary.Step}{(summary.StoppedEarly ? " (early stop)" : "")}{(summary.StoppedByTimeLimit ? " (time limit)" : "")}";
        if (summary.BestCheckpoint is not string best)
        {
            o.WriteLine($"{finished}; no evaluation yet, so the last weights are kept.");
            return;
        }
        TrainingCheckpoint.Load(best, model);
        o.WriteLine($"{finished}; using the best checkpoint {best} (validation {metric} {summary.BestValidationLoss:0.0000}).");
    }

    /// <summary>Per-class scores as a JSON object: name → precision, recall, f1, support.</summary>
    public static JsonObject ToJson(IReadOnlyList<string> names, IReadOnlyList<ClassScores> scores)
    {
        var result = new JsonObject();
        for (int i = 0; i < names.Count; i++)
        {
            result[names[i]] = new JsonObject
            {
                ["precision"] = scores[i].Precision, ["recall"] = scores[i].Recall, ["f1"] = scores[i].FScore, ["support"] = scores[i].Support,
            };
        }
        return result;
    }

    /// <summary>Writes indented JSON.</summary>
    public static void WriteJson(string path, JsonObject json) =>
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}

/// <summary>The options the fine-tuning commands share.</summary>
internal sealed record FineTuningSettings(string OutputDirectory, int Epochs, int BatchSize, int PadTokenId, int Seed, double LearningRate,
    double WarmupRatio, double WeightDecay, int Patience, double? MaxMinutes, bool Resume);

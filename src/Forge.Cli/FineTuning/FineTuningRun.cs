using System.Text.Json;
using System.Text.Json.Nodes;
using Forge.Metrics;
using Forge.Nn;
using Forge.Training;

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

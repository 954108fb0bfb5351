using System.Globalization;
using System.Text.Json.Nodes;

namespace Forge.Models;

/// <summary>Field readers and the shared label fields of Hugging Face <c>config.json</c> files.</summary>
internal static class HfConfigJson
{
    public static int? Int(JsonObject json, string name) => json[name] is { } node ? node.GetValue<int>() : null;

    public static float? Float(JsonObject json, string name) => json[name] is { } node ? (float)node.GetValue<double>() : null;

    public static string? String(JsonObject json, string name) => json[name] is { } node ? node.GetValue<string>() : null;

    public static bool? Bool(JsonObject json, string name) => json[name] is { } node ? node.GetValue<bool>() : null;

    /// <summary>The label names by id: <c>id2label</c> when present, else <c>LABEL_i</c> for <c>num_labels</c> (2 by default), as Hugging Face does.</summary>
    public static IReadOnlyList<string> Labels(JsonObject json, string source)
    {
        if (json["id2label"] is JsonObject id2label)
        {
            var labels = new string[id2label.Count];
            foreach (var (key, value) in id2label)
            {
                if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id >= labels.Length)
                    throw new ForgeException($"{source} id2label must map the ids 0 to {labels.Length - 1}, found the key '{key}'.");
                labels[id] = value?.GetValue<string>() ?? throw new ForgeException($"{source} id2label gives no name for id {id}.");
            }
            return labels;
        }
        return DefaultLabels(Int(json, "num_labels") ?? 2);
    }

    /// <summary>Hugging Face's default label names LABEL_0 .. LABEL_{n-1}.</summary>
    public static IReadOnlyList<string> DefaultLabels(int count) =>
        [.. Enumerable.Range(0, Math.Max(count, 0)).Select(i => string.Create(CultureInfo.InvariantCulture, $"LABEL_{i}"))];

    /// <summary>Writes <c>id2label</c> and <c>label2id</c>.</summary>
    public static void WriteLabels(JsonObject json, IReadOnlyList<string> labels)
    {
        var id2label = new JsonObject();
        var label2id = new JsonObject();
        for (int i = 0; i < labels.Count; i++)
        {
            id2label[i.ToString(CultureInfo.InvariantCulture)] = labels[i];
            label2id[labels[i]] = i;
        }
        json["id2label"] = id2label;
        json["label2id"] = label2id;
    }

    /// <summary>Checks a problem type against Hugging Face's three.</summary>
    public static void CheckProblemType(string? problemType)
    {
        if (problemType is not (null or "regression" or "single_label_classification" or "multi_label_classification"))
            throw new ForgeException($"Unsupported problem_type '{problemType}': expected regression, single_label_classification or multi_label_classification.");
    }
}

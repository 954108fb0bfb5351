using System.Text.Json;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Models;

/// <summary>The small Hugging Face BERT and DistilBERT directories of tests/fixtures/bert/hf/models and their expected.json.</summary>
internal static class HfModelFixture
{
    /// <summary>The tolerance the PyTorch comparisons use: 1e-4 relative, 1e-5 absolute.</summary>
    public const double Rtol = 1e-4, Atol = 1e-5;

    public static string Directory(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "bert", "hf", "models", name);

    public static JsonElement Expected(string name)
    {
        using var stream = File.OpenRead(Path.Combine(Directory(name), "expected.json"));
        return JsonDocument.Parse(stream).RootElement.Clone();
    }

    /// <summary>A JSON array of integers as an Int64 tensor [1, n] (or [rows, n] for nested arrays).</summary>
    public static Tensor Ids(JsonElement array)
    {
        if (array[0].ValueKind == JsonValueKind.Array)
        {
            long[][] rows = [.. array.EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetInt64()).ToArray())];
            return Tensor.FromArray(rows.SelectMany(r => r).ToArray(), rows.Length, rows[0].Length);
        }
        long[] ids = [.. array.EnumerateArray().Select(e => e.GetInt64())];
        return Tensor.FromArray(ids, 1, ids.Length);
    }

    /// <summary>A (possibly nested) JSON array of numbers as a Float32 tensor of its shape.</summary>
    public static Tensor Floats(JsonElement array)
    {
        var shape = new List<int>();
        for (JsonElement e = array; e.ValueKind == JsonValueKind.Array; e = e[0]) shape.Add(e.GetArrayLength());
        var data = new List<float>();
        void Flatten(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Array) foreach (JsonElement item in e.EnumerateArray()) Flatten(item);
            else data.Add(e.GetSingle());
        }
        Flatten(array);
        return Tensor.FromArray([.. data], [.. shape]);
    }

    /// <summary>Checks masked-language-model logits [1, length, vocab] against one fill_mask entry: first row, sum, masked rows, top-5 ids and probabilities.</summary>
    public static void CheckFillMask(JsonElement item, Tensor logits)
    {
        Tensor row = logits.Select(0, 0);
        TensorAssert.Close(Floats(item.GetProperty("logits_first_row")), row.Select(0, 0), Rtol, Atol, "first row");
        double sum = logits.ToArray<float>().Sum(v => (double)v);
        Assert.Equal(item.GetProperty("logits_sum").GetDouble(), sum, 1e-5 * logits.Numel);
        int[] masks = [.. item.GetProperty("mask_positions").EnumerateArray().Select(e => e.GetInt32())];
        Tensor probabilities = Forge.Nn.Functional.Softmax(row, -1);
        for (int m = 0; m < masks.Length; m++)
        {
            JsonElement top = item.GetProperty("top5")[m];
            TensorAssert.Close(Floats(top.GetProperty("logits")), row.Select(0, masks[m]), Rtol, Atol, $"logits at {masks[m]}");
            float[] p = probabilities.Select(0, masks[m]).ToArray<float>();
            int[] order = [.. Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).Take(5)];
            Assert.Equal(top.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()), order);
            TensorAssert.Close(Floats(top.GetProperty("probs")), Tensor.FromArray(order.Select(i => p[i]).ToArray(), 5), Rtol, Atol, "top-5 probabilities");
        }
    }

    /// <summary>A copy of the directory <paramref name="name"/> in <paramref name="target"/> with its weights rewritten by <paramref name="rewrite"/>.</summary>
    public static string CopyWithWeights(string name, string target, Func<Dictionary<string, Tensor>, Dictionary<string, Tensor>> rewrite)
    {
        System.IO.Directory.CreateDirectory(target);
        File.Copy(Path.Combine(Directory(name), "config.json"), Path.Combine(target, "config.json"));
        var weights = Forge.Serialization.SafeTensors.Load(Path.Combine(Directory(name), "model.safetensors"));
        Forge.Serialization.SafeTensors.Save(Path.Combine(target, "model.safetensors"), rewrite(weights));
        return target;
    }
}

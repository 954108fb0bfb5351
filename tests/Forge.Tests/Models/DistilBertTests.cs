using System.Text.Json;
using System.Text.Json.Nodes;
using Forge.Models.DistilBert;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;
using static Forge.Tests.Models.HfModelFixture;

namespace Forge.Tests.Models;

public sealed class DistilBertTests : IDisposable
{
    private static readonly DistilBertConfig Micro = new()
    {
        VocabSize = 40, Dim = 16, NLayers = 2, NHeads = 2, HiddenDim = 32, MaxPositionEmbeddings = 24, Dropout = 0, AttentionDropout = 0, SeqClassifDropout = 0,
    };

    private readonly string root = System.IO.Directory.CreateTempSubdirectory("forge-distilbert-").FullName;

    public void Dispose() => System.IO.Directory.Delete(root, recursive: true);

    private static DistilBertInput Input(JsonElement item) => new(Ids(item.GetProperty("input_ids")));

    [Fact]
    public void PresetAndStateNamesFollowHuggingFace()
    {
        Assert.Equal(66_362_880, DistilBertConfig.Preset("distilbert-base-uncased").ParameterCount());
        Assert.Equal(new DistilBertModel(Micro).ParameterCount, Micro.ParameterCount());
        var keys = new DistilBertForMaskedLM(Micro).StateDict().Keys.ToList();
        Assert.Contains("distilbert.embeddings.word_embeddings.weight", keys);
        Assert.Contains("distilbert.embeddings.LayerNorm.weight", keys);
        Assert.Contains("distilbert.transformer.layer.1.attention.q_lin.weight", keys);
        Assert.Contains("distilbert.transformer.layer.0.attention.out_lin.bias", keys);
        Assert.Contains("distilbert.transformer.layer.0.sa_layer_norm.weight", keys);
        Assert.Contains("distilbert.transformer.layer.0.ffn.lin2.weight", keys);
        Assert.Contains("distilbert.transformer.layer.0.output_layer_norm.bias", keys);
        Assert.Contains("vocab_transform.weight", keys);
        Assert.Contains("vocab_layer_norm.bias", keys);
        Assert.Contains("vocab_projector.bias", keys);
        Assert.DoesNotContain("vocab_projector.weight", keys);
        Assert.Equal(4 + 16 * 2 + 5, keys.Count);
    }

    [Fact]
    public void FillMaskLogitsAndTopFiveMatchHuggingFace()
    {
        var model = DistilBertForMaskedLM.FromPretrained(Directory("distilbert-mlm"));
        Assert.Empty(model.LoadReport!.NewlyInitialized);
        foreach (JsonElement item in Expected("distilbert-mlm").GetProperty("fill_mask").EnumerateArray()) CheckFillMask(item, model.Forward(Input(item)));
    }

    [Fact]
    public void ClassificationProbabilitiesMatchHuggingFace()
    {
        var model = DistilBertForSequenceClassification.FromPretrained(Directory("distilbert-classify"));
        Assert.Equal(["negative", "neutral", "positive"], model.Config.Labels);
        foreach (JsonElement item in Expected("distilbert-classify").GetProperty("classify").EnumerateArray())
        {
            Tensor logits = model.Forward(Input(item));
            TensorAssert.Close(Floats(item.GetProperty("logits")).Unsqueeze(0), logits, Rtol, Atol);
            TensorAssert.Close(Floats(item.GetProperty("probabilities")).Unsqueeze(0), Forge.Nn.Functional.Softmax(logits, -1), Rtol, Atol);
        }
    }

    [Fact]
    public void TokenClassificationLogitsMatchHuggingFace()
    {
        var model = DistilBertForTokenClassification.FromPretrained(Directory("distilbert-ner"));
        foreach (JsonElement item in Expected("distilbert-ner").GetProperty("token_logits").EnumerateArray())
            TensorAssert.Close(Floats(item.GetProperty("logits")).Unsqueeze(0), model.Forward(Input(item)), Rtol, Atol);
    }

    [Fact]
    public void PaddedBatchGivesEachSequenceItsOwnLogits()
    {
        var model = DistilBertForSequenceClassification.FromPretrained(Directory("distilbert-classify"));
        JsonElement[] items = [.. Expected("distilbert-classify").GetProperty("classify").EnumerateArray().Take(3)];
        int length = items.Max(i => i.GetProperty("input_ids").GetArrayLength());
        long[] ids = new long[items.Length * length], mask = new long[items.Length * length];
        for (int b = 0; b < items.Length; b++)
        {
            long[] row = [.. items[b].GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt64())];
            row.CopyTo(ids, b * length);
            Array.Fill(mask, 1L, b * length, row.Length);
        }
        Tensor logits = model.Forward(new DistilBertInput(Tensor.FromArray(ids, items.Length, length), Tensor.FromArray(mask, items.Length, length)));
        for (int b = 0; b < items.Length; b++) TensorAssert.Close(Floats(items[b].GetProperty("logits")), logits.Select(0, b), Rtol, Atol);
    }

    [Fact]
    public void OldNamesBuffersAndTiedProjectorWeightLoad()
    {
        Tensor ids = Tensor.FromArray(new long[] { 7, 98, 249, 9, 8 }, 1, 5);
        float[] reference = DistilBertForMaskedLM.FromPretrained(Directory("distilbert-mlm")).Forward(new DistilBertInput(ids)).ToArray<float>();
        string renamed = CopyWithWeights("distilbert-mlm", Path.Combine(root, "renamed"), weights =>
        {
            var result = weights.ToDictionary(
                w => w.Key.Replace("layer_norm.weight", "layer_norm.gamma", StringComparison.Ordinal).Replace("LayerNorm.bias", "LayerNorm.beta", StringComparison.Ordinal),
                w => w.Value);
            result["distilbert.embeddings.position_ids"] = Tensor.Arange(0, 64, dtype: DType.Int64).Unsqueeze(0);
            result["vocab_projector.weight"] = weights["distilbert.embeddings.word_embeddings.weight"];
            return result;
        });
        var model = DistilBertForMaskedLM.FromPretrained(renamed);
        Assert.Empty(model.LoadReport!.Unused);
        Assert.Equal(reference, model.Forward(new DistilBertInput(ids)).ToArray<float>());
    }

    [Fact]
    public void SaveThenLoadGivesTheSameOutputsAndClassifiersStartFromMaskedModels()
    {
        var mlm = DistilBertForMaskedLM.FromPretrained(Directory("distilbert-mlm"));
        string directory = Path.Combine(root, "saved");
        mlm.SavePretrained(directory);
        var json = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "config.json")))!;
        Assert.Equal("distilbert", (string?)json["model_type"]);
        Assert.Equal("DistilBertForMaskedLM", (string?)json["architectures"]![0]);
        Tensor ids = Tensor.FromArray(new long[] { 7, 98, 249, 340, 8, 0 }, 2, 3);
        Assert.Equal(mlm.Forward(new DistilBertInput(ids)).ToArray<float>(), DistilBertForMaskedLM.FromPretrained(directory).Forward(new DistilBertInput(ids)).ToArray<float>());

        var classifier = DistilBertForSequenceClassification.FromPretrained(directory, c => c.WithNumLabels(3));
        Assert.Equal(["pre_classifier.weight", "pre_classifier.bias", "classifier.weight", "classifier.bias"], classifier.LoadReport!.NewlyInitialized);
        Assert.Equal(["vocab_layer_norm.bias", "vocab_layer_norm.weight", "vocab_projector.bias", "vocab_transform.bias", "vocab_transform.weight"], classifier.LoadReport.Unused);
        Assert.Equal(mlm.Distilbert.Forward(new DistilBertInput(ids)).ToArray<float>(), classifier.Distilbert.Forward(new DistilBertInput(ids)).ToArray<float>());

        var tokens = new DistilBertForTokenClassification(mlm.Config, seed: 3);
        Assert.Empty(tokens.Distilbert.LoadTrunkFrom(mlm.Distilbert).MissingKeys);
        tokens.Eval();
        Assert.Equal(mlm.Distilbert.Forward(new DistilBertInput(ids)).ToArray<float>(), tokens.Distilbert.Forward(new DistilBertInput(ids)).ToArray<float>());
    }

    [Fact]
    public void SinusoidalPositionsAreFixedAndUntrained()
    {
        var model = new DistilBertModel(Micro with { SinusoidalPosEmbds = true });
        var weight = model.Embeddings.PositionEmbeddings.Weight;
        Assert.False(weight.RequiresGrad);
        float[] values = weight.ToArray<float>();
        Assert.Equal(0f, values[0]);
        Assert.Equal(1f, values[1]);
        Assert.Equal((float)Math.Sin(3 / Math.Pow(10000, 2.0 * 2 / 16)), values[3 * 16 + 4], 6);
        Assert.Equal((float)Math.Cos(3 / Math.Pow(10000, 2.0 * 2 / 16)), values[3 * 16 + 5], 6);
    }

    [Fact]
    public void LossesIgnoreMinus100AndGradientReachesEveryParameter()
    {
        var model = new DistilBertForTokenClassification(Micro.WithNumLabels(3), seed: 2);
        Tensor ids = Tensor.FromArray(new long[] { 1, 5, 9, 2, 3, 4, 6, 7 }, 2, 4);
        long[] labels = [-100, 2, 0, -100, 1, -100, -100, 2];
        Tensor loss = model.Loss(new DistilBertInput(ids), Tensor.FromArray(labels, 2, 4));
        float[] logits = model.Forward(new DistilBertInput(ids)).ToArray<float>();
        double manual = 0;
        int counted = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] == -100) continue;
            double[] row = [.. logits.Skip(i * 3).Take(3).Select(v => (double)v)];
            manual += Math.Log(row.Sum(Math.Exp)) - row[labels[i]];
            counted++;
        }
        Assert.Equal(manual / counted, loss.Item(), 1e-5);

        var mlm = new DistilBertForMaskedLM(Micro, seed: 2);
        mlm.Loss(new DistilBertInput(ids), Tensor.FromArray(new long[] { 3, -100, 4, 5, -100, 6, 7, 8 }, 2, 4)).Backward();
        foreach (var (name, parameter) in mlm.NamedParameters())
            Assert.True(parameter.Grad is not null && parameter.Grad.Abs().Sum().Item() > 0, $"{name} has no gradient");
        var classifier = new DistilBertForSequenceClassification(Micro, seed: 2);
        classifier.Loss(new DistilBertInput(ids), Tensor.FromArray(new long[] { 1, 0 }, 2)).Backward();
        Assert.All(classifier.NamedParameters(), p => Assert.True(p.Parameter.Grad is not null, $"{p.Name} has no gradient"));
    }

    [Fact]
    public void TinyModelOverfitsASmallMaskedBatch()
    {
        var model = new DistilBertForMaskedLM(Micro with { VocabSize = 30, Dim = 32, HiddenDim = 64 }, seed: 1);
        var optimizer = new Forge.Optim.AdamW(model.Parameters(), learningRate: 5e-3);
        Tensor ids = Tensor.FromArray(new long[] { 2, 10, 4, 12, 13, 3, 2, 15, 16, 4, 18, 3 }, 2, 6);
        Tensor labels = Tensor.FromArray(new long[] { -100, -100, 11, -100, -100, -100, -100, -100, -100, 17, -100, -100 }, 2, 6);
        float first = 0, last = 0;
        for (int step = 0; step < 40; step++)
        {
            optimizer.ZeroGrad();
            Tensor loss = model.Loss(new DistilBertInput(ids), labels);
            loss.Backward();
            optimizer.Step();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.True(first > 3 && last < 0.1, $"loss went from {first} to {last}");
    }

    [Fact]
    public void BadConfigsAreClearErrors()
    {
        Assert.Contains("'bert' model", Assert.Throws<ForgeException>(() => DistilBertForMaskedLM.FromPretrained(Directory("bert-mlm"))).Message, StringComparison.Ordinal);
        Assert.Contains("multiple of n_heads", Assert.Throws<ForgeException>(() => (Micro with { NHeads = 3 }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("distilbert-base-uncased", Assert.Throws<ForgeException>(() => DistilBertConfig.Preset("tiny")).Message, StringComparison.Ordinal);
        Assert.Contains("max_position_embeddings", Assert.Throws<ForgeException>(() => new DistilBertModel(Micro).Forward(new DistilBertInput(Tensor.Zeros([1, 30], DType.Int64)))).Message, StringComparison.Ordinal);
    }
}

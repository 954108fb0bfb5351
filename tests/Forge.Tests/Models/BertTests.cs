using System.Text.Json;
using System.Text.Json.Nodes;
using Forge.Models.Bert;
using Forge.Nn;
using Forge.Serialization;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;
using static Forge.Tests.Models.HfModelFixture;

namespace Forge.Tests.Models;

public sealed class BertTests : IDisposable
{
    private static readonly BertConfig Micro = new()
    {
        VocabSize = 40, HiddenSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 32, MaxPositionEmbeddings = 24,
        HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0,
    };

    private readonly string root = System.IO.Directory.CreateTempSubdirectory("forge-bert-").FullName;

    public void Dispose() => System.IO.Directory.Delete(root, recursive: true);

    private static BertInput Input(JsonElement item, string ids = "input_ids") =>
        new(Ids(item.GetProperty(ids)), item.TryGetProperty("token_type_ids", out var types) && types.ValueKind == JsonValueKind.Array ? Ids(types) : null);

    [Fact]
    public void PresetsHaveTheirPublishedSizes()
    {
        Assert.Equal(109_482_240, BertConfig.Preset("bert-base-uncased").ParameterCount());
        BertConfig tiny = BertConfig.Preset("bert-tiny");
        Assert.Equal((2, 128, 2, 512, 30522, 512), (tiny.NumHiddenLayers, tiny.HiddenSize, tiny.NumAttentionHeads, tiny.IntermediateSize, tiny.VocabSize, tiny.MaxPositionEmbeddings));
        Assert.Equal((4, 256, 4, 1024), (BertConfig.Preset("bert-mini").NumHiddenLayers, BertConfig.Preset("bert-mini").HiddenSize, BertConfig.Preset("bert-mini").NumAttentionHeads, BertConfig.Preset("bert-mini").IntermediateSize));
        Assert.Equal((4, 512, 8, 2048), (BertConfig.Preset("bert-small").NumHiddenLayers, BertConfig.Preset("bert-small").HiddenSize, BertConfig.Preset("bert-small").NumAttentionHeads, BertConfig.Preset("bert-small").IntermediateSize));
        Assert.Equal(new BertModel(tiny).ParameterCount, tiny.ParameterCount());
        Assert.Equal(new BertModel(Micro, addPoolingLayer: false).ParameterCount, Micro.ParameterCount(pooler: false));
        Assert.Contains("bert-tiny", Assert.Throws<ForgeException>(() => BertConfig.Preset("bert-huge")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StateDictsUseHuggingFaceNames()
    {
        var keys = new BertForPreTraining(Micro).StateDict().Keys.ToList();
        Assert.Contains("bert.embeddings.word_embeddings.weight", keys);
        Assert.Contains("bert.embeddings.token_type_embeddings.weight", keys);
        Assert.Contains("bert.embeddings.LayerNorm.bias", keys);
        Assert.Contains("bert.encoder.layer.1.attention.self.query.weight", keys);
        Assert.Contains("bert.encoder.layer.0.attention.output.LayerNorm.weight", keys);
        Assert.Contains("bert.encoder.layer.0.intermediate.dense.weight", keys);
        Assert.Contains("bert.encoder.layer.0.output.dense.bias", keys);
        Assert.Contains("bert.pooler.dense.weight", keys);
        Assert.Contains("cls.predictions.bias", keys);
        Assert.Contains("cls.predictions.transform.LayerNorm.weight", keys);
        Assert.Contains("cls.seq_relationship.weight", keys);
        Assert.DoesNotContain("cls.predictions.decoder.weight", keys);
        Assert.Equal(5 + 16 * 2 + 2 + 5 + 2, keys.Count);
        Assert.DoesNotContain("bert.pooler.dense.weight", new BertForMaskedLM(Micro).StateDict().Keys);
        Assert.Contains("cls.predictions.decoder.weight", new BertForMaskedLM(Micro with { TieWordEmbeddings = false }).StateDict().Keys);
    }

    [Theory]
    [InlineData("bert-mlm")]
    [InlineData("bert-mlm-default-init")]
    public void FillMaskLogitsAndTopFiveMatchHuggingFace(string name)
    {
        var model = BertForMaskedLM.FromPretrained(Directory(name));
        Assert.Empty(model.LoadReport!.NewlyInitialized);
        Assert.Empty(model.LoadReport.Unused);
        foreach (JsonElement item in Expected(name).GetProperty("fill_mask").EnumerateArray()) CheckFillMask(item, model.Forward(Input(item)));
    }

    [Fact]
    public void ClassificationProbabilitiesMatchHuggingFace()
    {
        var model = BertForSequenceClassification.FromPretrained(Directory("bert-classify"));
        Assert.Equal(["negative", "neutral", "positive"], model.Config.Labels);
        foreach (JsonElement item in Expected("bert-classify").GetProperty("classify").EnumerateArray())
        {
            Tensor logits = model.Forward(Input(item));
            TensorAssert.Close(Floats(item.GetProperty("logits")).Unsqueeze(0), logits, Rtol, Atol);
            TensorAssert.Close(Floats(item.GetProperty("probabilities")).Unsqueeze(0), Forge.Nn.Functional.Softmax(logits, -1), Rtol, Atol);
        }
    }

    [Fact]
    public void TokenClassificationLogitsMatchHuggingFace()
    {
        var model = BertForTokenClassification.FromPretrained(Directory("bert-ner"));
        Assert.Equal("B-LOC", model.Config.Labels[3]);
        foreach (JsonElement item in Expected("bert-ner").GetProperty("token_logits").EnumerateArray())
            TensorAssert.Close(Floats(item.GetProperty("logits")).Unsqueeze(0), model.Forward(Input(item)), Rtol, Atol);
    }

    [Fact]
    public void PretrainingLogitsAndNextSentenceMatchHuggingFace()
    {
        var model = BertForPreTraining.FromPretrained(Directory("bert-pretraining"));
        JsonElement expected = Expected("bert-pretraining");
        foreach (JsonElement item in expected.GetProperty("fill_mask").EnumerateArray()) CheckFillMask(item, model.Forward(Input(item)).PredictionLogits);
        JsonElement nsp = expected.GetProperty("nsp");
        TensorAssert.Close(Floats(nsp.GetProperty("seq_relationship_logits")).Unsqueeze(0), model.Forward(Input(nsp)).SeqRelationshipLogits, Rtol, Atol);
    }

    [Fact]
    public void HiddenStatesAndPoolerMatchHuggingFaceIncludingAPaddedBatch()
    {
        var model = BertModel.FromPretrained(Directory("bert-base-model"));
        JsonElement[] items = [.. Expected("bert-base-model").GetProperty("hidden").EnumerateArray()];
        foreach (JsonElement item in items[..^1])
        {
            BertModelOutput output = model.Forward(Input(item));
            TensorAssert.Close(Floats(item.GetProperty("last_hidden_state")).Unsqueeze(0), output.LastHiddenState, Rtol, Atol);
            TensorAssert.Close(Floats(item.GetProperty("pooler_output")).Unsqueeze(0), output.PoolerOutput!, Rtol, Atol);
        }
        JsonElement batch = items[^1];
        Tensor mask = Ids(batch.GetProperty("attention_mask"));
        Assert.Contains(0L, mask.ToArray<long>());
        BertModelOutput padded = model.Forward(new BertInput(Ids(batch.GetProperty("batch_input_ids")), AttentionMask: mask));
        TensorAssert.Close(Floats(batch.GetProperty("last_hidden_state")), padded.LastHiddenState, Rtol, Atol);
        TensorAssert.Close(Floats(batch.GetProperty("pooler_output")), padded.PoolerOutput!, Rtol, Atol);
    }

    [Fact]
    public void OldGammaBetaNamesBuffersDecoderKeysAndHalfPrecisionLoad()
    {
        Tensor ids = Tensor.FromArray(new long[] { 7, 98, 249, 9, 8 }, 1, 5);
        float[] reference = BertForMaskedLM.FromPretrained(Directory("bert-mlm")).Forward(new BertInput(ids)).ToArray<float>();
        string renamed = CopyWithWeights("bert-mlm", Path.Combine(root, "renamed"), weights =>
        {
            var result = weights.ToDictionary(
                w => w.Key.Replace("LayerNorm.weight", "LayerNorm.gamma", StringComparison.Ordinal).Replace("LayerNorm.bias", "LayerNorm.beta", StringComparison.Ordinal),
                w => w.Value);
            result["bert.embeddings.position_ids"] = Tensor.Arange(0, 64, dtype: DType.Int64).Unsqueeze(0);
            result["cls.predictions.decoder.weight"] = weights["bert.embeddings.word_embeddings.weight"];
            result["cls.predictions.decoder.bias"] = weights["cls.predictions.bias"];
            return result;
        });
        var model = BertForMaskedLM.FromPretrained(renamed);
        Assert.Empty(model.LoadReport!.Unused);
        Assert.Equal(reference, model.Forward(new BertInput(ids)).ToArray<float>());

        string half = CopyWithWeights("bert-mlm", Path.Combine(root, "half"), weights =>
        {
            var result = weights.ToDictionary(w => w.Key, w => w.Value.To(DType.BFloat16));
            result.Remove("cls.predictions.bias");
            result["cls.predictions.decoder.bias"] = weights["cls.predictions.bias"].To(DType.Float16);
            return result;
        });
        TensorAssert.Close(Tensor.FromArray(reference), BertForMaskedLM.FromPretrained(half).Forward(new BertInput(ids)).Reshape(-1), rtol: 0.05, atol: 0.05);
    }

    [Fact]
    public void SaveThenLoadGivesTheSameOutputsAndAHuggingFaceConfig()
    {
        var model = BertForSequenceClassification.FromPretrained(Directory("bert-classify"));
        string directory = Path.Combine(root, "saved");
        model.SavePretrained(directory);
        var json = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "config.json")))!;
        Assert.Equal("bert", (string?)json["model_type"]);
        Assert.Equal("BertForSequenceClassification", (string?)json["architectures"]![0]);
        Assert.Equal("positive", (string?)json["id2label"]!["2"]);
        Assert.Equal(1e-12, (double)json["layer_norm_eps"]!, 1e-18);
        using (SafeTensorsFile file = SafeTensors.Open(Path.Combine(directory, "model.safetensors")))
            Assert.Equal(model.StateDict().Keys.Order(StringComparer.Ordinal), file.Names.Order(StringComparer.Ordinal));
        var reloaded = BertForSequenceClassification.FromPretrained(directory);
        Tensor ids = Tensor.FromArray(new long[] { 7, 98, 249, 340, 8, 0 }, 2, 3);
        Assert.Equal(model.Forward(new BertInput(ids)).ToArray<float>(), reloaded.Forward(new BertInput(ids)).ToArray<float>());
        Assert.Equal(model.Config with { Architectures = [] }, reloaded.Config with { Architectures = [], Labels = model.Config.Labels });
    }

    [Fact]
    public void UntiedDecoderRoundTripsAndAMissingPoolerIsAnError()
    {
        var model = new BertForMaskedLM(Micro with { TieWordEmbeddings = false }, seed: 6);
        string directory = Path.Combine(root, "untied");
        model.SavePretrained(directory);
        var reloaded = BertForMaskedLM.FromPretrained(directory);
        Assert.NotNull(reloaded.Cls.Predictions.Decoder);
        Assert.Empty(reloaded.LoadReport!.NewlyInitialized);
        Tensor ids = Tensor.FromArray(new long[] { 1, 2, 3, 4 }, 1, 4);
        Assert.Equal(model.Forward(new BertInput(ids)).ToArray<float>(), reloaded.Forward(new BertInput(ids)).ToArray<float>());

        var classifier = new BertForSequenceClassification(Micro);
        classifier.Bert.Pooler = null;
        Assert.Contains("no pooler", Assert.Throws<ForgeException>(() => classifier.Forward(new BertInput(ids))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClassifierFromAMaskedLanguageModelKeepsTheTrunkAndReportsTheNewHead()
    {
        var mlm = BertForMaskedLM.FromPretrained(Directory("bert-mlm"));
        var classifier = BertForSequenceClassification.FromPretrained(Directory("bert-mlm"), c => c.WithNumLabels(4));
        Assert.Equal(4, classifier.Classifier.OutFeatures);
        Assert.Equal(["bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias"], classifier.LoadReport!.NewlyInitialized);
        Assert.All(classifier.LoadReport.Unused, k => Assert.StartsWith("cls.predictions.", k, StringComparison.Ordinal));
        Assert.Equal(5, classifier.LoadReport.Unused.Count);
        foreach (var (name, tensor) in mlm.Bert.StateDict())
            Assert.Equal(tensor.ToArray<float>(), classifier.Bert.StateDict()[name].ToArray<float>());

        var bare = BertModel.FromPretrained(Directory("bert-mlm"), addPoolingLayer: false);
        Assert.Empty(bare.LoadReport!.NewlyInitialized);
        string trunk = Path.Combine(root, "trunk");
        bare.SavePretrained(trunk);
        var tokens = BertForTokenClassification.FromPretrained(trunk);
        Assert.Equal(["classifier.weight", "classifier.bias"], tokens.LoadReport!.NewlyInitialized);

        var copied = new BertForSequenceClassification(mlm.Config, seed: 5);
        StateDictLoadResult result = copied.Bert.LoadTrunkFrom(mlm.Bert);
        Assert.Equal(["pooler.dense.weight", "pooler.dense.bias"], result.MissingKeys);
        Assert.Equal(mlm.Bert.Embeddings.WordEmbeddings.Weight.ToArray<float>(), copied.Bert.Embeddings.WordEmbeddings.Weight.ToArray<float>());
    }

    [Fact]
    public void LossesIgnoreMinus100AndMatchAManualComputation()
    {
        var model = new BertForMaskedLM(Micro, seed: 2);
        Tensor ids = Tensor.FromArray(new long[] { 1, 5, 9, 2, 3, 4, 6, 7 }, 2, 4);
        long[] labels = [-100, 12, -100, -100, 30, -100, -100, 1];
        float loss = model.Loss(new BertInput(ids), Tensor.FromArray(labels, 2, 4)).Item();
        float[] logits = model.Forward(new BertInput(ids)).ToArray<float>();
        double manual = 0;
        int counted = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] == -100) continue;
            double[] row = [.. logits.Skip(i * 40).Take(40).Select(v => (double)v)];
            double max = row.Max();
            manual += Math.Log(row.Sum(v => Math.Exp(v - max))) + max - row[labels[i]];
            counted++;
        }
        Assert.Equal(manual / counted, loss, 1e-5);

        var regression = new BertForSequenceClassification(Micro.WithNumLabels(1), seed: 2);
        Tensor targets = Tensor.FromArray(new[] { 0.5f, -1f }, 2);
        float[] predictions = regression.Forward(new BertInput(ids)).ToArray<float>();
        Assert.Equal(((predictions[0] - 0.5) * (predictions[0] - 0.5) + (predictions[1] + 1) * (predictions[1] + 1)) / 2, regression.Loss(new BertInput(ids), targets).Item(), 1e-5);

        var pretraining = new BertForPreTraining(Micro, seed: 2);
        BertPreTrainingOutput output = pretraining.Forward(new BertInput(ids));
        Tensor nsp = Tensor.FromArray(new long[] { 0, 1 }, 2);
        double expected = Forge.Nn.Functional.CrossEntropy(output.PredictionLogits.Reshape(-1, 40), Tensor.FromArray(labels)).Item()
            + Forge.Nn.Functional.CrossEntropy(output.SeqRelationshipLogits, nsp).Item();
        Assert.Equal(expected, pretraining.Loss(new BertInput(ids), Tensor.FromArray(labels, 2, 4), nsp).Item(), 1e-5);
    }

    [Fact]
    public void PaddingDoesNotChangeTheRealTokensOutputs()
    {
        var model = new BertModel(Micro, seed: 4);
        Tensor shortIds = Tensor.FromArray(new long[] { 3, 8, 11 }, 1, 3);
        Tensor paddedIds = Tensor.FromArray(new long[] { 3, 8, 11, 0, 0 }, 1, 5);
        Tensor mask = Tensor.FromArray(new long[] { 1, 1, 1, 0, 0 }, 1, 5);
        BertModelOutput alone = model.Forward(new BertInput(shortIds));
        BertModelOutput padded = model.Forward(new BertInput(paddedIds, AttentionMask: mask));
        TensorAssert.Close(alone.LastHiddenState, padded.LastHiddenState.Narrow(1, 0, 3), 1e-5, 1e-5);
        TensorAssert.Close(alone.PoolerOutput!, padded.PoolerOutput!, 1e-5, 1e-5);
    }

    [Fact]
    public void TinyModelOverfitsASmallMaskedBatch()
    {
        var model = new BertForMaskedLM(Micro with { VocabSize = 30, HiddenSize = 32, NumAttentionHeads = 2, IntermediateSize = 64 }, seed: 1);
        var optimizer = new Forge.Optim.AdamW(model.Parameters(), learningRate: 5e-3);
        Tensor ids = Tensor.FromArray(new long[] { 2, 10, 4, 12, 13, 3, 2, 15, 16, 4, 18, 3 }, 2, 6);
        Tensor labels = Tensor.FromArray(new long[] { -100, -100, 11, -100, -100, -100, -100, -100, -100, 17, -100, -100 }, 2, 6);
        float first = 0, last = 0;
        for (int step = 0; step < 40; step++)
        {
            optimizer.ZeroGrad();
            Tensor loss = model.Loss(new BertInput(ids), labels);
            loss.Backward();
            optimizer.Step();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.True(first > 3 && last < 0.1, $"loss went from {first} to {last}");
    }

    [Fact]
    public void MaskedLossOnScoredPositionsEqualsTheFullLogitsLossAndGradients()
    {
        Tensor ids = Tensor.FromArray(new long[] { 1, 5, 9, 2, 3, 4, 6, 7, 8, 10 }, 2, 5);
        Tensor labels = Tensor.FromArray(new long[] { -100, 7, -100, -100, 12, 3, -100, -100, 30, -100 }, 2, 5);
        var gathered = new BertForMaskedLM(Micro, seed: 5);
        var full = new BertForMaskedLM(Micro, seed: 5);
        Tensor loss = gathered.Loss(new BertInput(ids), labels);
        Tensor reference = Forge.Nn.Functional.CrossEntropy(full.Forward(new BertInput(ids)).Reshape(-1, Micro.VocabSize), labels.Reshape(-1));
        Assert.Equal(reference.Item(), loss.Item(), 1e-5);
        loss.Backward();
        reference.Backward();
        var expected = full.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!);
        foreach (var (name, parameter) in gathered.NamedParameters()) TensorAssert.Close(expected[name], parameter.Grad!, 1e-4, 1e-6, name);

        var pretraining = new BertForPreTraining(Micro, seed: 5);
        Tensor next = Tensor.FromArray(new long[] { 0, 1 }, 2);
        BertPreTrainingOutput output = pretraining.Forward(new BertInput(ids));
        float expectedPretraining = Forge.Nn.Functional.CrossEntropy(output.PredictionLogits.Reshape(-1, Micro.VocabSize), labels.Reshape(-1)).Item()
            + Forge.Nn.Functional.CrossEntropy(output.SeqRelationshipLogits, next).Item();
        Assert.Equal(expectedPretraining, pretraining.Loss(new BertInput(ids), labels, next).Item(), 1e-5);
    }

    [Fact]
    public void GradientReachesEveryParameter()
    {
        var config = Micro with { TypeVocabSize = 2 };
        var pretraining = new BertForPreTraining(config, seed: 3);
        Tensor ids = Tensor.FromArray(new long[] { 1, 5, 9, 2, 3, 4, 6, 7 }, 2, 4);
        Tensor types = Tensor.FromArray(new long[] { 0, 0, 1, 1, 0, 1, 1, 1 }, 2, 4);
        pretraining.Loss(new BertInput(ids, types), Tensor.FromArray(new long[] { 3, -100, 4, 5, -100, 6, 7, 8 }, 2, 4), Tensor.FromArray(new long[] { 0, 1 }, 2)).Backward();
        foreach (var (name, parameter) in pretraining.NamedParameters())
        {
            Assert.True(parameter.Grad is not null, $"{name} has no gradient");
            Assert.True(parameter.Grad!.Abs().Sum().Item() > 0, $"{name} has a zero gradient");
        }
        var classifier = new BertForSequenceClassification(config, seed: 3);
        classifier.Loss(new BertInput(ids, types), Tensor.FromArray(new long[] { 1, 0 }, 2)).Backward();
        Assert.All(classifier.NamedParameters(), p => Assert.True(p.Parameter.Grad is not null, $"{p.Name} has no gradient"));
    }

    [Fact]
    public void BadDirectoriesAndInputsAreClearErrors()
    {
        Assert.Contains("does not exist", Assert.Throws<ForgeException>(() => BertForMaskedLM.FromPretrained(Path.Combine(root, "none"))).Message, StringComparison.Ordinal);
        string directory = System.IO.Directory.CreateDirectory(Path.Combine(root, "bin")).FullName;
        File.WriteAllText(Path.Combine(directory, "config.json"), Micro.ToJson().ToJsonString());
        File.WriteAllBytes(Path.Combine(directory, "pytorch_model.bin"), [0]);
        Assert.Contains("safetensors only", Assert.Throws<ForgeException>(() => BertForMaskedLM.FromPretrained(directory)).Message, StringComparison.Ordinal);
        Assert.Contains("'distilbert' model", Assert.Throws<ForgeException>(() => BertForMaskedLM.FromPretrained(Directory("distilbert-mlm"))).Message, StringComparison.Ordinal);
        string empty = CopyWithWeights("bert-mlm", Path.Combine(root, "empty"), _ => new Dictionary<string, Tensor> { ["unrelated"] = Tensor.Zeros(1) });
        Assert.Contains("does not hold the model's weights", Assert.Throws<ForgeException>(() => BertForMaskedLM.FromPretrained(empty)).Message, StringComparison.Ordinal);
        var model = new BertModel(Micro);
        Assert.Contains("max_position_embeddings", Assert.Throws<ForgeException>(() => model.Forward(new BertInput(Tensor.Zeros([1, 25], DType.Int64)))).Message, StringComparison.Ordinal);
        Assert.Contains("attention_mask", Assert.Throws<ForgeException>(() => model.Forward(new BertInput(Tensor.Zeros([1, 4], DType.Int64), AttentionMask: Tensor.Ones(1, 3)))).Message, StringComparison.Ordinal);
        Assert.Contains("hidden_act", Assert.Throws<ForgeException>(() => (Micro with { HiddenAct = "swish" }).Validate()).Message, StringComparison.Ordinal);
    }
}

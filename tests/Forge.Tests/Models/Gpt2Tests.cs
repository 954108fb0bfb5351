using System.Text.Json.Nodes;
using Forge.Generation;
using Forge.Models.Gpt2;
using Forge.Nn;
using Forge.Serialization;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Models;

public sealed class Gpt2Tests : IDisposable
{
    private static readonly string TinyDirectory = Path.Combine(AppContext.BaseDirectory, "fixtures", "gpt2-tiny");

    private static readonly Gpt2Config Micro = new()
    {
        VocabSize = 53, NPositions = 20, NEmbd = 16, NLayer = 2, NHead = 2, ResidPdrop = 0, EmbdPdrop = 0, AttnPdrop = 0,
    };

    private readonly string root = Directory.CreateTempSubdirectory("forge-gpt2-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Gpt2PresetsHaveTheirPublishedParameterCounts()
    {
        Assert.Equal(124_439_808, Gpt2Config.Preset("gpt2").ParameterCount());
        Assert.Equal(354_823_168, Gpt2Config.Preset("gpt2-medium").ParameterCount());
    }

    [Theory]
    [InlineData(true, null)]
    [InlineData(false, null)]
    [InlineData(true, 40)]
    public void ComputedParameterCountEqualsTheBuiltModels(bool tied, int? inner)
    {
        Gpt2Config config = Micro with { TieWordEmbeddings = tied, NInner = inner };
        Assert.Equal(new Gpt2LanguageModel(config).ParameterCount, config.ParameterCount());
        Gpt2Config nano = Gpt2Config.Preset("gpt-nano") with { VocabSize = 512 };
        Assert.Equal(new Gpt2LanguageModel(nano).ParameterCount, nano.ParameterCount());
    }

    [Fact]
    public void StateDictUsesHuggingFaceNamesAndConv1DLayouts()
    {
        var model = new Gpt2LanguageModel(Micro);
        var shapes = model.StateDict().ToDictionary(p => p.Key, p => p.Value.Shape.ToArray());
        Assert.Equal([53, 16], shapes["transformer.wte.weight"]);
        Assert.Equal([20, 16], shapes["transformer.wpe.weight"]);
        Assert.Equal([16, 48], shapes["transformer.h.0.attn.c_attn.weight"]);
        Assert.Equal([48], shapes["transformer.h.1.attn.c_attn.bias"]);
        Assert.Equal([16, 16], shapes["transformer.h.1.attn.c_proj.weight"]);
        Assert.Equal([16, 64], shapes["transformer.h.0.mlp.c_fc.weight"]);
        Assert.Equal([64, 16], shapes["transformer.h.0.mlp.c_proj.weight"]);
        Assert.Equal([16], shapes["transformer.h.0.ln_1.weight"]);
        Assert.Equal([16], shapes["transformer.ln_f.bias"]);
        Assert.DoesNotContain("lm_head.weight", shapes.Keys);
        Assert.Equal(2 + 12 * 2 + 2, shapes.Count);
        Assert.Contains("lm_head.weight", new Gpt2LanguageModel(Micro with { TieWordEmbeddings = false }).StateDict().Keys);
    }

    [Fact]
    public void LogitsAndLossMatchPyTorchOnAHuggingFaceDirectory()
    {
        var fixture = Fixture.Load("gpt2_tiny");
        var model = Gpt2LanguageModel.FromPretrained(TinyDirectory);
        Tensor ids = fixture.Tensor("input_ids");
        Tensor logits = model.Logits(ids);
        TensorAssert.Close(fixture.Tensor("logits"), logits, rtol: 1e-4, atol: 1e-4);

        Tensor inputs = ids.Narrow(1, 0, 11), targets = ids.Narrow(1, 1, 11);
        double loss = Forge.Nn.Functional.CrossEntropy(logits.Narrow(1, 0, 11).Reshape(-1, 61), targets.Reshape(-1)).Item();
        Assert.Equal(fixture.Number("loss"), loss, 5e-5 * fixture.Number("loss"));
        Assert.Equal(fixture.Number("loss"), model.Loss(inputs, targets).Item(), 5e-5 * fixture.Number("loss"));
    }

    [Fact]
    public void SaveThenLoadGivesIdenticalTensorsWithTheTransformerPrefix()
    {
        var model = Gpt2LanguageModel.FromPretrained(TinyDirectory);
        string directory = Path.Combine(root, "saved");
        model.SavePretrained(directory);
        using (SafeTensorsFile file = SafeTensors.Open(Path.Combine(directory, Gpt2LanguageModel.WeightsFile)))
        {
            Assert.All(file.Names, n => Assert.StartsWith("transformer.", n, StringComparison.Ordinal));
            Assert.Equal("pt", file.Metadata["format"]);
        }
        var reloaded = Gpt2LanguageModel.FromPretrained(directory);
        Assert.Equal(model.Config, reloaded.Config);
        foreach (var (name, tensor) in model.StateDict())
            Assert.Equal(tensor.ToArray<float>(), reloaded.StateDict()[name].ToArray<float>());
    }

    [Fact]
    public void UntiedHeadRoundTripsThroughLmHeadWeight()
    {
        var model = new Gpt2LanguageModel(Micro with { TieWordEmbeddings = false }, seed: 3);
        string directory = Path.Combine(root, "untied");
        model.SavePretrained(directory);
        var reloaded = Gpt2LanguageModel.FromPretrained(directory);
        Assert.NotNull(reloaded.LmHead);
        Tensor ids = Tensor.FromArray(new long[] { 1, 2, 3, 4 }, 1, 4);
        Assert.Equal(model.Logits(ids).ToArray<float>(), reloaded.Logits(ids).ToArray<float>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void IncrementalDecodingWithTheCacheEqualsFullRecomputation(bool fixedShapes)
    {
        var model = Gpt2LanguageModel.FromPretrained(TinyDirectory);
        long[] ids = [5, 17, 33, 2, 60, 9, 41, 8, 0, 12];
        Tensor full = model.Logits(Tensor.FromArray(ids, 1, ids.Length));
        var cache = new KeyValueCache(fixedShapes: fixedShapes);
        var pieces = new List<Tensor> { model.Logits(Tensor.FromArray(ids[..4], 1, 4), cache) };
        Assert.Equal(4, cache.Length);
        pieces.Add(model.Logits(Tensor.FromArray(ids[4..7], 1, 3), cache));
        for (int i = 7; i < ids.Length; i++) pieces.Add(model.Logits(Tensor.FromArray(ids[i..(i + 1)], 1, 1), cache));
        Assert.Equal(ids.Length, cache.Length);
        TensorAssert.Close(full, Tensor.Cat(pieces, 1), rtol: 1e-5, atol: 1e-5);
    }

    [Fact]
    public void GenerationWithTheCacheEqualsGenerationWithout()
    {
        var model = Gpt2LanguageModel.FromPretrained(TinyDirectory);
        int[] prompt = [3, 14, 15];
        foreach (var config in new[]
        {
            new GenerationConfig { MaxNewTokens = 12 },
            new GenerationConfig { Strategy = DecodingStrategy.Sample, MaxNewTokens = 12, Seed = 4, TopK = 20, TopP = 0.9, Temperature = 0.8 },
            new GenerationConfig { Strategy = DecodingStrategy.Beam, NumBeams = 3, MaxNewTokens = 8 },
        })
        {
            int[] cached = TextGeneration.Generate(model, prompt, config);
            Assert.Equal(cached, TextGeneration.Generate(model, prompt, config with { UseCache = false }));
        }
    }

    [Fact]
    public void ReplayedDecodingStepsChooseTheEagerTokensAndAllocateNothing()
    {
        var model = new Gpt2LanguageModel(Micro, seed: 5);
        model.Eval();
        int[] prompt = [7, 3];
        // 25 new tokens pass the context of 20: the window slides (the whole window is fed again each step).
        var config = new GenerationConfig { MaxNewTokens = 25 };
        Assert.Equal(TextGeneration.Generate(model, prompt, config with { UseStepGraph = false }), TextGeneration.Generate(model, prompt, config));

        long start = 0, end = 0;
        int count = 0;
        TextGeneration.Generate(model, prompt, new GenerationConfig { MaxNewTokens = 16 }, _ =>
        {
            // The first replays compile the graph's method invokers; from the sixth token on a token allocates nothing.
            if (++count == 6) start = GC.GetAllocatedBytesForCurrentThread();
            if (count == 16) end = GC.GetAllocatedBytesForCurrentThread();
            return true;
        });
        Assert.Equal(16, count);
        Assert.Equal(0, end - start);
    }

    [Fact]
    public void DropoutIsReproducibleFromTheSeedAndOffInEvaluation()
    {
        var config = Micro with { ResidPdrop = 0.1f, EmbdPdrop = 0.1f, AttnPdrop = 0.1f };
        Tensor ids = Tensor.FromArray(new long[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        float[] a = new Gpt2LanguageModel(config, seed: 9).Logits(ids).ToArray<float>();
        float[] b = new Gpt2LanguageModel(config, seed: 9).Logits(ids).ToArray<float>();
        Assert.Equal(a, b);
        var model = new Gpt2LanguageModel(config, seed: 9);
        Assert.NotEqual(model.Logits(ids).ToArray<float>(), model.Logits(ids).ToArray<float>());
        model.Eval();
        Assert.Equal(model.Logits(ids).ToArray<float>(), model.Logits(ids).ToArray<float>());
    }

    [Fact]
    public void TrainingReducesTheLossOfARepeatedSequence()
    {
        var model = new Gpt2LanguageModel(Micro, seed: 1);
        var optimizer = new Forge.Optim.AdamW(model.Parameters(), learningRate: 1e-2);
        long[] pattern = [.. Enumerable.Range(0, 17).Select(i => (long)(i * 7 % 53))];
        Tensor inputs = Tensor.FromArray(pattern[..16], 1, 16), targets = Tensor.FromArray(pattern[1..], 1, 16);
        float first = 0, last = 0;
        for (int step = 0; step < 60; step++)
        {
            optimizer.ZeroGrad();
            Tensor loss = model.Loss(inputs, targets);
            loss.Backward();
            optimizer.Step();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.True(first > 3.5 && last < 0.5, $"loss went from {first} to {last}");
    }

    [Fact]
    public void LossWritingItsGradientOverTheLogitsGivesTheSameGradientsAsPlainCrossEntropy()
    {
        var model = new Gpt2LanguageModel(Micro, seed: 2);
        var generator = new Generator(3);
        Tensor inputs = Tensor.RandInt(0, Micro.VocabSize, [2, 9], generator), targets = Tensor.RandInt(0, Micro.VocabSize, [2, 9], generator);
        targets.Narrow(1, 0, 2).Fill(-100);
        Forge.Nn.Functional.CrossEntropy(model.Logits(inputs).Reshape(-1, Micro.VocabSize), targets.Reshape(-1)).Backward();
        var expected = model.NamedParameters().Select(p => (p.Name, Grad: p.Parameter.Grad!.ToArray<float>())).ToList();
        model.ZeroGrad();
        Tensor loss = model.Loss(inputs, targets);
        loss.Backward();
        foreach (var (name, grad) in expected)
            Assert.Equal(grad, model.NamedParameters().Single(p => p.Name == name).Parameter.Grad!.ToArray<float>());
    }

    [Fact]
    public void LossBackpropagatedTwiceWithARetainedGraphIsAClearError()
    {
        var model = new Gpt2LanguageModel(Micro, seed: 2);
        Tensor inputs = Tensor.FromArray(new long[] { 1, 2, 3, 4 }, 1, 4), targets = Tensor.FromArray(new long[] { 2, 3, 4, 5 }, 1, 4);
        Tensor loss = model.Loss(inputs, targets);
        loss.Backward(retainGraph: true);
        var error = Assert.Throws<ForgeException>(() => loss.Backward());
        Assert.Contains("backpropagated only once", error.Message);
    }

    [Fact]
    public void InputLongerThanTheContextIsAnError()
    {
        var model = new Gpt2LanguageModel(Micro);
        var e = Assert.Throws<ForgeException>(() => model.Logits(Tensor.Zeros([1, 21], DType.Int64)));
        Assert.Equal("GPT-2 input of 21 positions exceeds the model's context of 20.", e.Message);
    }

    [Fact]
    public void UnknownPresetListsThePresets()
    {
        var e = Assert.Throws<ForgeException>(() => Gpt2Config.Preset("gpt5"));
        Assert.Contains("gpt-nano", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingDirectoryConfigOrWeightsAreErrors()
    {
        Assert.Contains("does not exist", Assert.Throws<ForgeException>(() => Gpt2LanguageModel.FromPretrained(Path.Combine(root, "none"))).Message, StringComparison.Ordinal);
        string empty = Directory.CreateDirectory(Path.Combine(root, "empty")).FullName;
        Assert.Contains("has no config.json", Assert.Throws<ForgeException>(() => Gpt2LanguageModel.FromPretrained(empty)).Message, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(empty, "config.json"), new Gpt2Config().ToJson().ToJsonString());
        Assert.Contains("has no model.safetensors", Assert.Throws<ForgeException>(() => Gpt2LanguageModel.FromPretrained(empty)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptConfigIsAnError()
    {
        string directory = Directory.CreateDirectory(Path.Combine(root, "corrupt")).FullName;
        File.WriteAllText(Path.Combine(directory, "config.json"), "{ \"n_layer\": ");
        Assert.Contains("is not valid JSON", Assert.Throws<ForgeException>(() => Gpt2LanguageModel.FromPretrained(directory)).Message, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(directory, "config.json"), "{ \"n_embd\": 10, \"n_head\": 3 }");
        Assert.Contains("multiple of n_head", Assert.Throws<ForgeException>(() => Gpt2LanguageModel.FromPretrained(directory)).Message, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(directory, "config.json"), "{ \"model_type\": \"bert\" }");
        Assert.Contains("'bert'", Assert.Throws<ForgeException>(() => Gpt2LanguageModel.FromPretrained(directory)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConfigThatDoesNotFitTheWeightsNamesTheKeyAndShapes()
    {
        string directory = Path.Combine(root, "mismatch");
        Directory.CreateDirectory(directory);
        File.Copy(Path.Combine(TinyDirectory, "model.safetensors"), Path.Combine(directory, "model.safetensors"));
        JsonObject config = JsonNode.Parse(File.ReadAllText(Path.Combine(TinyDirectory, "config.json")))!.AsObject();
        config["vocab_size"] = 62;
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString());
        var e = Assert.Throws<ForgeException>(() => Gpt2LanguageModel.FromPretrained(directory));
        Assert.Contains("wte.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains("does not fit its config.json", e.Message, StringComparison.Ordinal);

        config["vocab_size"] = 61;
        config["n_layer"] = 3;
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString());
        e = Assert.Throws<ForgeException>(() => Gpt2LanguageModel.FromPretrained(directory));
        Assert.Contains("transformer.h.2.", e.Message, StringComparison.Ordinal);
    }
}

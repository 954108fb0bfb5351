using Forge.Nn;
using Forge.Optim;
using Forge.Serialization;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Nn;

public class StateDictTests
{
    [Fact]
    public void RoundTripIntoADifferentlyInitializedModelGivesTheSameOutputs()
    {
        var source = new TinyGpt(1);
        var target = new TinyGpt(2);
        Tensor tokens = TinyGpt.Tokens(3, 5);
        Assert.NotEqual(source.Forward(tokens).ToArray<float>(), target.Forward(tokens).ToArray<float>());
        StateDictLoadResult result = target.LoadStateDict(source.StateDict());
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        Assert.Equal(source.Forward(tokens).ToArray<float>(), target.Forward(tokens).ToArray<float>());
    }

    [Fact]
    public void StateDictTensorsAreDetachedAndShareTheParametersStorage()
    {
        var linear = new Linear(3, 2, generator: new Generator(1));
        var state = linear.StateDict();
        Assert.False(state["weight"].RequiresGrad);
        Init.Zeros(linear.Weight);
        Assert.All(state["weight"].ToArray<float>(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void LoadingCopiesIntoTheExistingParametersSoOptimizersStayValid()
    {
        var model = new TinyGpt(3);
        var before = model.Parameters();
        var optimizer = new AdamW(model.Parameters(), learningRate: 0.1);
        model.LoadStateDict(new TinyGpt(4).StateDict());
        Assert.Equal(before, model.Parameters(), ReferenceEqualityComparer.Instance);
        float[] loaded = model.H[0].Attn.CProj.Weight.ToArray<float>();
        model.Forward(TinyGpt.Tokens(2, 6)).Sum().Backward();
        optimizer.Step();
        Assert.NotEqual(loaded, model.H[0].Attn.CProj.Weight.ToArray<float>());
    }

    [Fact]
    public void StrictLoadingListsMissingAndUnexpectedKeysAndChangesNothing()
    {
        var model = new TinyGpt(5);
        float[] original = model.LnF.Weight!.ToArray<float>();
        var state = new TinyGpt(6).StateDict();
        state.Remove("h.0.attn.c_attn.bias");
        state.Remove("ln_f.bias");
        state["lm_head.weight"] = Tensor.Zeros(TinyGpt.Vocabulary, TinyGpt.Width);
        var error = Assert.Throws<ForgeException>(() => model.LoadStateDict(state));
        Assert.Contains("missing keys: h.0.attn.c_attn.bias, ln_f.bias", error.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected keys: lm_head.weight", error.Message, StringComparison.Ordinal);
        Assert.Equal(original, model.LnF.Weight!.ToArray<float>());
    }

    [Fact]
    public void NonStrictLoadingReportsTheKeysAndLoadsTheRest()
    {
        var model = new TinyGpt(7);
        var donor = new TinyGpt(8);
        float[] keptBias = model.LnF.Bias!.ToArray<float>();
        var state = donor.StateDict();
        state.Remove("ln_f.bias");
        state["extra"] = Tensor.Ones(2);
        StateDictLoadResult result = model.LoadStateDict(state, strict: false);
        Assert.Equal(["ln_f.bias"], result.MissingKeys);
        Assert.Equal(["extra"], result.UnexpectedKeys);
        Assert.Equal(keptBias, model.LnF.Bias!.ToArray<float>());
        Assert.Equal(donor.Wte.Weight.ToArray<float>(), model.Wte.Weight.ToArray<float>());
    }

    [Fact]
    public void ShapeMismatchAlwaysThrowsNamingKeyAndBothShapes()
    {
        var model = new TinyGpt(9);
        float[] original = model.Wte.Weight.ToArray<float>();
        var state = new TinyGpt(10).StateDict();
        state["h.1.mlp.c_fc.weight"] = Tensor.Zeros(5, 8);
        var error = Assert.Throws<ForgeException>(() => model.LoadStateDict(state, strict: false));
        Assert.Contains("'h.1.mlp.c_fc.weight'", error.Message, StringComparison.Ordinal);
        Assert.Contains("[32, 8]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[5, 8]", error.Message, StringComparison.Ordinal);
        Assert.Equal(original, model.Wte.Weight.ToArray<float>());
    }

    [Fact]
    public void LoadingConvertsDTypesIntoTheModulesTensors()
    {
        var norm = new BatchNorm2d(2);
        var state = new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.FromArray(new[] { 1.5f, 2f }).To(DType.BFloat16),
            ["bias"] = Tensor.FromArray(new[] { 0.25f, -1f }).To(DType.Float16),
            ["running_mean"] = Tensor.FromArray(new[] { 3f, 4f }),
            ["running_var"] = Tensor.FromArray(new[] { 5f, 6f }),
            ["num_batches_tracked"] = Tensor.FromArray(new[] { 7L }).Reshape(),
        };
        norm.LoadStateDict(state);
        Assert.Equal(DType.Float32, norm.Weight!.DType);
        Assert.Equal([1.5f, 2f], norm.Weight.ToArray<float>());
        Assert.Equal([0.25f, -1f], norm.Bias!.ToArray<float>());
        Assert.Equal([7L], norm.NumBatchesTracked!.ToArray<long>());
    }

    [Fact]
    public void TiedWeightsLoadUnderEitherName()
    {
        var model = new TinyGpt(11);
        var head = new Linear(TinyGpt.Width, TinyGpt.Vocabulary, bias: false, generator: new Generator(12));
        var wrapper = new Sequential(("body", new Identity()), ("head", head));
        wrapper.SetParameter("head.weight", model.Wte.Weight);
        Assert.Same(model.Wte.Weight, head.Weight);
        var state = wrapper.StateDict();
        state["head.weight"] = Tensor.Ones(TinyGpt.Vocabulary, TinyGpt.Width);
        wrapper.LoadStateDict(state);
        Assert.All(model.Wte.Weight.ToArray<float>(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void StateDictSurvivesASafetensorsFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"forge-modules-{Guid.NewGuid():N}.safetensors");
        try
        {
            var source = new TinyGpt(13);
            SafeTensors.Save(path, source.StateDict());
            var target = new TinyGpt(14);
            target.LoadStateDict(SafeTensors.Load(path));
            Tensor tokens = TinyGpt.Tokens(2, 15);
            TensorAssert.Close(source.Forward(tokens), target.Forward(tokens), 0, 0);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ConvertingToBFloat16KeepsNamesTiesAndIntegerBuffers()
    {
        var norm = new BatchNorm2d(2);
        var tied = new Sequential(new Linear(2, 2, generator: new Generator(16)), new Linear(2, 2, generator: new Generator(17)));
        tied.SetParameter("1.weight", ((Linear)tied[0]).Weight);
        ((Linear)tied[0]).Bias!.RequiresGrad = false;
        tied.To(DType.BFloat16);
        norm.To(DType.BFloat16);
        Assert.All(tied.Parameters(), p => Assert.Equal(DType.BFloat16, p.DType));
        Assert.Same(((Linear)tied[0]).Weight, ((Linear)tied[1]).Weight);
        Assert.False(((Linear)tied[0]).Bias!.RequiresGrad);
        Assert.Equal(DType.BFloat16, norm.RunningMean!.DType);
        Assert.Equal(DType.Int64, norm.NumBatchesTracked!.DType);
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias"], tied.StateDict().Keys);
    }
}

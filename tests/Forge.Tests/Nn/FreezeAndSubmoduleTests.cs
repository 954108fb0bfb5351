using Forge.Nn;
using Forge.Optim;
using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Nn;

public class FreezeAndSubmoduleTests
{
    /// <summary>A Linear with a low-rank update, standing in for an adapter that replaces a layer by its path.</summary>
    private sealed class LowRankLinear : Linear
    {
        public LowRankLinear(Linear original, int rank, Generator generator) : base(original.InFeatures, original.OutFeatures, original.Bias is not null, generator)
        {
            Weight = original.Weight;
            Bias = original.Bias;
            LoraA = new Parameter(Tensor.Randn([rank, original.InFeatures], generator));
            LoraB = new Parameter(Tensor.Ones([original.OutFeatures, rank]));
        }

        public Parameter LoraA { get; }

        public Parameter LoraB { get; }

        protected override Tensor ForwardCore(Tensor input) => base.ForwardCore(input).Add(input.MatMul(LoraA.MT).MatMul(LoraB.MT));
    }

    [Fact]
    public void FrozenParametersGetNoGradientAndTheOptimizerLeavesThem()
    {
        var model = new TinyGpt(1);
        model.GetSubmodule("h.0").Freeze();
        model.Wte.Weight.RequiresGrad = false;
        var optimizer = new AdamW(model.Parameters(), learningRate: 0.1, weightDecay: 0.5);
        var frozen = model.GetSubmodule("h.0").Parameters().Append(model.Wte.Weight).ToList();
        var before = frozen.Select(p => p.ToArray<float>()).ToList();
        float[] trainedBefore = model.H[1].Mlp.Parameters()[0].ToArray<float>();
        model.Forward(TinyGpt.Tokens(2, 2)).Sum().Backward();
        Assert.All(frozen, p => Assert.Null(p.Grad));
        Assert.NotNull(model.H[1].Attn.Fused.Weight.Grad);
        optimizer.Step();
        for (int i = 0; i < frozen.Count; i++) Assert.Equal(before[i], frozen[i].ToArray<float>());
        Assert.NotEqual(trainedBefore, model.H[1].Mlp.Parameters()[0].ToArray<float>());
    }

    [Fact]
    public void UnfreezeRestoresGradientsAndCountsFollow()
    {
        var model = new TinyGpt(3);
        long total = model.ParameterCount;
        model.Freeze();
        Assert.Equal(0, model.TrainableParameterCount);
        model.LnF.Unfreeze();
        Assert.Equal(2 * TinyGpt.Width, model.TrainableParameterCount);
        model.Unfreeze();
        Assert.Equal(total, model.TrainableParameterCount);
        Assert.All(model.Parameters(), p => Assert.True(p.RequiresGrad));
    }

    [Fact]
    public void NoDecayGroupsSplitBiasesAndNormWeightsAndSkipFrozenParameters()
    {
        var model = new TinyGpt(4);
        model.Wpe.Freeze();
        var groups = ParameterGroups.WithNoDecay(model, 0.1);
        Assert.Equal(2, groups.Count);
        var names = model.NamedParameters().ToDictionary(p => (Tensor)p.Parameter, p => p.Name);
        Assert.Equal(0.1, groups[0].WeightDecay);
        Assert.All(groups[0].Parameters, p => Assert.EndsWith("weight", names[p], StringComparison.Ordinal));
        Assert.DoesNotContain(groups[0].Parameters, p => names[p].Contains("ln_", StringComparison.Ordinal));
        Assert.Contains(groups[1].Parameters, p => names[p] == "ln_f.weight");
        Assert.Contains(groups[1].Parameters, p => names[p] == "h.0.attn.c_attn.bias");
        Assert.DoesNotContain(groups.SelectMany(g => g.Parameters), p => ReferenceEquals(p, model.Wpe.Weight));
        _ = new AdamW(groups, learningRate: 1e-3);
    }

    [Fact]
    public void ReplacementByPathIsFoundByReflectionAndUsedInForward()
    {
        var model = new TinyGpt(5);
        Tensor tokens = TinyGpt.Tokens(2, 6);
        float[] before = model.Forward(tokens).ToArray<float>();
        var original = (Linear)model.GetSubmodule("h.0.attn.c_attn");
        var adapted = new LowRankLinear(original, 2, new Generator(7));
        model.SetSubmodule("h.0.attn.c_attn", adapted);
        Assert.Same(adapted, model.H[0].Attn.Fused);
        var names = model.NamedParameters().Select(p => p.Name).ToList();
        Assert.Contains("h.0.attn.c_attn.lora_a", names);
        Assert.Contains("h.0.attn.c_attn.lora_b", names);
        Assert.Same(original.Weight, model.GetParameter("h.0.attn.c_attn.weight"));
        Assert.NotEqual(before, model.Forward(tokens).ToArray<float>());
    }

    [Fact]
    public void ReplacementsInContainersAndInterfaceTypedSlots()
    {
        var layer = new TransformerEncoderLayer(8, 2, 16, dropout: 0, generator: new Generator(8));
        layer.SetSubmodule("norm1", new RmsNorm(8));
        Assert.IsType<RmsNorm>(layer.Norm1);
        Assert.DoesNotContain(layer.StateDict().Keys, k => k == "norm1.bias");
        var model = new TinyGpt(9);
        var block = new TinyBlock(TinyGpt.Width, TinyGpt.Length, new Generator(10));
        model.SetSubmodule("h.1", block);
        Assert.Same(block, model.H[1]);
        var sequential = new Sequential(new Linear(2, 2, generator: new Generator(11)), new Relu());
        sequential.SetSubmodule("1", new Identity());
        Assert.IsType<Identity>(sequential[1]);
        var dict = new ModuleDict<Module> { { "encoder", new Relu() } };
        dict.SetSubmodule("encoder", new Tanh());
        Assert.IsType<Tanh>(dict["encoder"]);
    }

    [Fact]
    public void ReplacementOfTheWrongTypeOrAtAMissingPathIsRefused()
    {
        var model = new TinyGpt(12);
        var wrongType = Assert.Throws<ForgeException>(() => model.SetSubmodule("h.0.attn.c_attn", new Relu()));
        Assert.Contains("declared as Linear", wrongType.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<ForgeException>(() => model.SetSubmodule("h.0.atn.c_attn", new Linear(1, 1, generator: new Generator(13))));
        Assert.Contains("'atn'", missing.Message, StringComparison.Ordinal);
        Assert.Contains("ln_1, attn, ln_2, mlp", missing.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => model.SetSubmodule("h.2", new TinyBlock(8, 6, new Generator(14))));
        Assert.Throws<ForgeException>(() => model.SetSubmodule("h.0.mlp.c_fc.weight", new Relu()));
        Assert.Throws<ForgeException>(() => model.GetParameter("h.0.attn.c_attn.scale"));
        Assert.Throws<ForgeException>(() => model.GetSubmodule("h.5"));
    }

    [Fact]
    public void PrivateFieldsCanBeReplacedByPath()
    {
        var model = new TinyGpt(15);
        var replacement = new Linear(TinyGpt.Width, 4 * TinyGpt.Width, bias: false, generator: new Generator(16));
        model.SetSubmodule("h.0.mlp.c_fc", replacement);
        Assert.Same(replacement, model.GetSubmodule("h.0.mlp.c_fc"));
        Assert.DoesNotContain("h.0.mlp.c_fc.bias", model.StateDict().Keys);
        Assert.Equal([2, TinyGpt.Length, TinyGpt.Vocabulary], model.Forward(TinyGpt.Tokens(2, 17)).Shape);
    }
}

using Forge.Nn;
using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Nn;

public class ModuleDiscoveryTests
{
    private class Base : Module
    {
        public Linear First { get; set; } = new(2, 2, generator: new Generator(1));
    }

    private sealed class Derived : Base
    {
        private readonly Parameter scale = new(Tensor.Ones(2));
        private readonly Tensor plain = Tensor.Zeros(3);

        public Linear Second { get; set; } = new(2, 2, bias: false, generator: new Generator(2));

        [Buffer]
        public Tensor Count { get; } = Tensor.Zeros(1);

        public Tensor Plain => plain;

        public Parameter Scale => scale;
    }

    private sealed class ArrayHolder : Module
    {
        public Linear[] Layers { get; } = [new Linear(1, 1, generator: new Generator(3))];
    }

    private sealed class Clash : Module
    {
        public Linear QProj { get; } = new(1, 1, generator: new Generator(4));

        [StateName("q_proj")]
        public Linear Other { get; } = new(1, 1, generator: new Generator(5));
    }

    private sealed class BufferOnParameter : Module
    {
        [Buffer]
        public Parameter Weight { get; } = new(Tensor.Ones(1));
    }

    private sealed class Loop : Module
    {
        public Module? Next { get; set; }
    }

    private sealed class Tied : Module
    {
        public Tied(Embedding shared)
        {
            Encoder = shared;
            Decoder = shared;
        }

        public Embedding Encoder { get; }

        public Embedding Decoder { get; }
    }

    [Fact]
    public void NestedModulesGetHuggingFaceDotNamesInDeclarationOrder()
    {
        var model = new TinyGpt(1);
        Assert.Equal(TinyGpt.ExpectedNames(), model.NamedParameters().Select(p => p.Name));
    }

    [Theory]
    [InlineData("QProj", "q_proj")]
    [InlineData("CAttn", "c_attn")]
    [InlineData("LnF", "ln_f")]
    [InlineData("Norm1", "norm1")]
    [InlineData("Conv2d", "conv2d")]
    [InlineData("RunningMean", "running_mean")]
    [InlineData("HTTPServer", "http_server")]
    [InlineData("_hidden", "hidden")]
    [InlineData("wte", "wte")]
    [InlineData("ln_1", "ln_1")]
    public void MemberNamesBecomeSnakeCase(string member, string expected) => Assert.Equal(expected, ModuleLayout.ToSnakeCase(member));

    [Fact]
    public void BaseClassMembersComeFirstAndOwnTensorsPrecedeSubmodules()
    {
        var model = new Derived();
        Assert.Equal(["scale", "first.weight", "first.bias", "second.weight"], model.NamedParameters().Select(p => p.Name));
        Assert.Equal(["scale", "count", "first.weight", "first.bias", "second.weight"], model.StateDict().Keys);
    }

    [Fact]
    public void TensorMembersWithoutBufferAttributeAreNotState()
    {
        var model = new Derived();
        Assert.DoesNotContain(model.NamedBuffers(), b => ReferenceEquals(b.Buffer, model.Plain));
        Assert.Equal(["count"], model.NamedBuffers().Select(b => b.Name));
    }

    [Fact]
    public void NullMembersAreSkipped()
    {
        var linear = new Linear(3, 2, bias: false, generator: new Generator(6));
        Assert.Equal(["weight"], linear.NamedParameters().Select(p => p.Name));
        Assert.Equal(6, linear.ParameterCount);
    }

    [Fact]
    public void NonPersistentBuffersAreListedButNotSaved()
    {
        var model = new TinyGpt(2);
        Assert.Equal(["h.0.attn.bias", "h.1.attn.bias"], model.NamedBuffers().Select(b => b.Name));
        Assert.DoesNotContain("h.0.attn.bias", model.StateDict().Keys);
        Assert.Equal(TinyGpt.ExpectedNames(), model.StateDict().Keys);
    }

    [Fact]
    public void BatchNormBuffersFollowItsParametersInTheStateDict()
    {
        var norm = new BatchNorm2d(3);
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], norm.StateDict().Keys);
        Assert.Equal(DType.Int64, norm.StateDict()["num_batches_tracked"].DType);
        Assert.Equal(3, norm.Buffers().Count);
    }

    [Fact]
    public void NamedModulesWalksDepthFirstFromTheRoot()
    {
        var model = new TinyGpt(3);
        var names = model.NamedModules().Select(m => m.Name).ToList();
        Assert.Equal("", names[0]);
        Assert.Equal(["", "wte", "wpe", "h", "h.0", "h.0.ln_1", "h.0.attn", "h.0.attn.c_attn", "h.0.attn.c_proj"], names.Take(9));
        Assert.Contains("h.1.mlp.activation", names);
        Assert.Equal(["wte", "wpe", "h", "ln_f"], model.NamedChildren().Select(c => c.Name));
        Assert.Equal(4, model.Children().Count);
        Assert.Same(model.H[1].Mlp, model.GetSubmodule("h.1.mlp"));
    }

    [Fact]
    public void ModuleListItemsAreNamedByIndex()
    {
        var list = new ModuleList<Linear>([new Linear(1, 2, generator: new Generator(7)), new Linear(2, 3, generator: new Generator(8))]);
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias"], list.StateDict().Keys);
        Assert.Equal(2, list.Count);
        Assert.Equal(3, list[1].OutFeatures);
        Assert.Throws<ForgeException>(() => list[2]);
    }

    [Fact]
    public void SharedModulesAndParametersAreCountedOnceButSavedUnderEveryName()
    {
        var model = new Tied(new Embedding(5, 3, generator: new Generator(9)));
        Assert.Equal(["encoder.weight"], model.NamedParameters().Select(p => p.Name));
        Assert.Equal(15, model.ParameterCount);
        Assert.Equal(["encoder.weight", "decoder.weight"], model.StateDict().Keys);
        Assert.Equal(["", "encoder"], model.NamedModules().Select(m => m.Name));
    }

    [Fact]
    public void CollectionsOfModulesAreRejectedWithAHint()
    {
        var error = Assert.Throws<ForgeException>(() => new ArrayHolder().Parameters());
        Assert.Contains("ModuleList", error.Message, StringComparison.Ordinal);
        Assert.Contains("Layers", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TwoMembersWithOneStateNameAreRejected()
    {
        var error = Assert.Throws<ForgeException>(() => new Clash().StateDict());
        Assert.Contains("'q_proj'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BufferAttributeOnAParameterIsRejected() =>
        Assert.Throws<ForgeException>(() => new BufferOnParameter().Buffers());

    [Fact]
    public void AModuleContainingItselfIsReportedNotLoopedOver()
    {
        var loop = new Loop();
        loop.Next = new Loop { Next = loop };
        var error = Assert.Throws<ForgeException>(() => loop.StateDict());
        Assert.Contains("next.next", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, loop.Modules().Count);
        Assert.Contains("Loop(...)", loop.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ParameterCountsSumDistinctElements()
    {
        var model = new TinyGpt(4);
        long expected = model.Parameters().Sum(p => p.Numel);
        Assert.Equal(expected, model.ParameterCount);
        Assert.Equal(TinyGpt.Vocabulary * TinyGpt.Width, model.Wte.Weight.Numel);
        Assert.Equal(TinyGpt.ExpectedNames().Count(), model.Parameters().Count);
    }

    [Fact]
    public void ToStringPrintsATreeLikePyTorch()
    {
        var model = new Sequential(new Linear(4, 3, generator: new Generator(10)), new Relu(),
            new Sequential(("norm", new LayerNorm(3)), ("drop", new Dropout(0.1f, new Generator(11)))));
        string expected = """
            Sequential(
              (0): Linear(in_features=4, out_features=3, bias=True)
              (1): Relu()
              (2): Sequential(
                (norm): LayerNorm((3,), eps=1e-05, elementwise_affine=True)
                (drop): Dropout(p=0.1)
              )
            )
            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), model.ToString());
    }

    [Fact]
    public void ToStringGroupsRepeatedModuleListItems()
    {
        var list = new ModuleList<Module>([new Conv2d(3, 8, 3, padding: 1, bias: false, generator: new Generator(12)), new BatchNorm2d(8), new BatchNorm2d(8), new BatchNorm2d(8)]);
        string expected = """
            ModuleList(
              (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)
              (1-3): 3 x BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
            )
            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), list.ToString());
    }
}

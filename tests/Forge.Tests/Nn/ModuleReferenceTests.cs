using Forge.Nn;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Nn;

/// <summary>
/// Modules against PyTorch 1.13 (tests/fixtures/modules.json): the stored state loads strictly under Forge's names, then
/// outputs, input gradients and parameter gradients must match within 1e-5 relative plus 1e-5 absolute, Transformer blocks included.
/// </summary>
public class ModuleReferenceTests
{
    private static readonly Generator Seed = new(0);

    [Fact]
    public void LinearMatchesPyTorch()
    {
        var c = new ModuleCase("linear");
        var linear = new Linear(5, 4, generator: new Generator(1));
        c.LoadInto(linear);
        c.Verify(linear, 1e-5, 1e-5, ("out", linear.Forward(c.Input("x"))));
    }

    [Fact]
    public void LayerNormMatchesPyTorch()
    {
        var c = new ModuleCase("layer_norm");
        var norm = new LayerNorm(6);
        c.LoadInto(norm);
        c.Verify(norm, 1e-5, 1e-5, ("out", norm.Forward(c.Input("x"))));
    }

    [Fact]
    public void Conv2dWithGroupsStrideAndPaddingMatchesPyTorch()
    {
        var c = new ModuleCase("conv2d_groups");
        var conv = new Conv2d(4, 6, 3, stride: 2, padding: 1, groups: 2, generator: new Generator(2));
        c.LoadInto(conv);
        c.Verify(conv, 1e-5, 1e-5, ("out", conv.Forward(c.Input("x"))));
    }

    [Fact]
    public void BatchNorm2dTrainingStepMatchesPyTorchIncludingRunningStatistics()
    {
        var c = new ModuleCase("batch_norm2d_train");
        var norm = new BatchNorm2d(3, momentum: 0.2f);
        c.LoadInto(norm);
        c.Verify(norm, 1e-5, 1e-5, ("out", norm.Forward(c.Input("x"))));
        var after = c.ExpectedGroup("running_after");
        TensorAssert.Close(after["running_mean"], norm.RunningMean!, 1e-5, 1e-6, "running_mean");
        TensorAssert.Close(after["running_var"], norm.RunningVar!, 1e-5, 1e-6, "running_var");
        Assert.Equal(after["num_batches_tracked"].ToArray<long>(), norm.NumBatchesTracked!.ToArray<long>());
    }

    [Fact]
    public void BatchNorm2dEvaluationUsesTheUpdatedRunningStatisticsLikePyTorch()
    {
        var c = new ModuleCase("batch_norm2d_eval");
        var norm = new BatchNorm2d(3, momentum: 0.2f);
        c.LoadInto(norm);
        norm.Eval();
        Tensor runningMean = norm.RunningMean!.Clone();
        c.Verify(norm, 1e-5, 1e-5, ("out", norm.Forward(c.Input("x"))));
        Assert.Equal(runningMean.ToArray<float>(), norm.RunningMean!.ToArray<float>());
    }

    [Theory]
    [InlineData("mha_self_causal_padding")]
    [InlineData("mha_cross_padding_per_head")]
    [InlineData("mha_cross_kdim_vdim")]
    public void MultiHeadAttentionMatchesPyTorchOutputsWeightsAndGradients(string name)
    {
        var c = new ModuleCase(name);
        var attention = name == "mha_cross_kdim_vdim"
            ? new MultiHeadAttention(8, 4, keyDim: 5, valueDim: 3, generator: new Generator(3))
            : new MultiHeadAttention(8, 2, generator: new Generator(3));
        c.LoadInto(attention);
        var (output, weights) = attention.Forward(c.Input("query"), c.Input("key"), c.Input("value"),
            keyPaddingMask: c.OptionalInput("key_padding_mask"), attentionMask: c.OptionalInput("attn_mask"),
            needWeights: true, averageWeights: name != "mha_cross_padding_per_head");
        c.Verify(attention, 1e-5, 1e-5, ("out", output), ("weights", weights!));
    }

    [Theory]
    [InlineData("encoder_layer_post_norm_relu", false, Activation.Relu)]
    [InlineData("encoder_layer_post_norm_gelu", false, Activation.Gelu)]
    [InlineData("encoder_layer_pre_norm_relu", true, Activation.Relu)]
    [InlineData("encoder_layer_pre_norm_gelu", true, Activation.Gelu)]
    [InlineData("encoder_layer_causal", true, Activation.Relu)]
    public void TransformerEncoderLayerMatchesPyTorch(string name, bool normFirst, Activation activation)
    {
        var c = new ModuleCase(name);
        var layer = new TransformerEncoderLayer(8, 2, 16, dropout: 0, activation, normFirst: normFirst, generator: new Generator(4));
        c.LoadInto(layer);
        Tensor output = layer.Forward(c.Input("src"), c.OptionalInput("mask"), c.OptionalInput("key_padding_mask"));
        c.Verify(layer, 1e-5, 1e-5, ("out", output));
    }

    [Fact]
    public void CausalFlagGivesTheSameEncoderOutputAsACausalMask()
    {
        var c = new ModuleCase("encoder_layer_causal");
        var layer = new TransformerEncoderLayer(8, 2, 16, dropout: 0, normFirst: true, causal: true, generator: new Generator(5));
        c.LoadInto(layer);
        c.Verify(layer, 1e-5, 1e-5, ("out", layer.Forward(c.Input("src"))));
    }

    [Fact]
    public void TransformerEncoderStackWithFinalNormMatchesPyTorch()
    {
        var c = new ModuleCase("encoder_stack");
        var encoder = new TransformerEncoder(_ => new TransformerEncoderLayer(8, 2, 16, dropout: 0, generator: Seed), 2, new LayerNorm(8));
        c.LoadInto(encoder);
        Tensor output = encoder.Forward(c.Input("src"), keyPaddingMask: c.Input("key_padding_mask"));
        c.Verify(encoder, 1e-5, 1e-5, ("out", output));
    }

    [Theory]
    [InlineData("decoder_layer_post_norm", false)]
    [InlineData("decoder_layer_pre_norm", true)]
    public void TransformerDecoderLayerMatchesPyTorch(string name, bool normFirst)
    {
        var c = new ModuleCase(name);
        var layer = new TransformerDecoderLayer(8, 2, 16, dropout: 0, Activation.Gelu, normFirst: normFirst, generator: new Generator(6));
        c.LoadInto(layer);
        Tensor output = layer.Forward(c.Input("tgt"), c.Input("memory"), targetMask: c.Input("tgt_mask"), memoryKeyPaddingMask: c.Input("memory_key_padding_mask"));
        c.Verify(layer, 1e-5, 1e-5, ("out", output));
    }
}

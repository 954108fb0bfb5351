using Forge.Tensors;

namespace Forge.Nn;

/// <summary>
/// 2-D convolution (PyTorch's nn.Conv2d) of [N, C, H, W] (or [C, H, W]) with weight [out, in/groups, kH, kW] and bias [out],
/// zero padding. Initialized as PyTorch: the weight Kaiming-uniform with a = √5, the bias U(±1/√fanIn).
/// </summary>
public class Conv2d : Module<Tensor, Tensor>
{
    /// <summary>A convolution with a square kernel and the same stride and padding on both axes.</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int groups = 1, bool bias = true, Generator? generator = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), groups, bias, generator) { }

    /// <summary>A convolution with per-axis kernel size, stride and padding.</summary>
    public Conv2d(int inChannels, int outChannels, (int Height, int Width) kernelSize, (int Height, int Width) stride, (int Height, int Width) padding,
        int groups = 1, bool bias = true, Generator? generator = null)
    {
        LayerChecks.CheckSize(nameof(inChannels), inChannels);
        LayerChecks.CheckSize(nameof(outChannels), outChannels);
        LayerChecks.CheckSize(nameof(groups), groups);
        LayerChecks.CheckSize(nameof(kernelSize), kernelSize.Height);
        LayerChecks.CheckSize(nameof(kernelSize), kernelSize.Width);
        LayerChecks.CheckSize(nameof(stride), stride.Height);
        LayerChecks.CheckSize(nameof(stride), stride.Width);
        LayerChecks.CheckSize(nameof(padding), padding.Height, allowZero: true);
        LayerChecks.CheckSize(nameof(padding), padding.Width, allowZero: true);
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ForgeException($"Conv2d needs in and out channels divisible by groups, found {inChannels} in, {outChannels} out, {groups} groups.");
        Stride = stride;
        Padding = padding;
        Groups = groups;
        Weight = new Parameter(Tensor.Empty([outChannels, inChannels / groups, kernelSize.Height, kernelSize.Width]));
        Bias = bias ? new Parameter(Tensor.Empty([outChannels])) : null;
        ResetParameters(generator);
    }

    /// <summary>The kernels [out, in/groups, kH, kW].</summary>
    public Parameter Weight { get; set; }

    /// <summary>The bias [out], or null.</summary>
    public Parameter? Bias { get; set; }

    /// <summary>The step between windows.</summary>
    public (int Height, int Width) Stride { get; }

    /// <summary>The zeros added on each side.</summary>
    public (int Height, int Width) Padding { get; }

    /// <summary>The number of channel groups convolved separately.</summary>
    public int Groups { get; }

    /// <summary>The number of input channels.</summary>
    public int InChannels => Weight.Shape[1] * Groups;

    /// <summary>The number of output channels.</summary>
    public int OutChannels => Weight.Shape[0];

    /// <summary>The kernel size.</summary>
    public (int Height, int Width) KernelSize => (Weight.Shape[2], Weight.Shape[3]);

    /// <summary>Draws the weight and bias again with PyTorch's default initialization.</summary>
    public void ResetParameters(Generator? generator = null)
    {
        Init.KaimingUniform(Weight, Math.Sqrt(5), generator: generator);
        if (Bias is not null) LayerChecks.FanInUniform(Bias, Weight, generator);
    }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Functional.Conv2d(input, Weight, Bias, Stride, Padding, Groups);

    /// <inheritdoc />
    public override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernel_size={LayerChecks.PyPair(KernelSize)}, stride={LayerChecks.PyPair(Stride)}"
        + (Padding != (0, 0) ? $", padding={LayerChecks.PyPair(Padding)}" : "")
        + (Groups != 1 ? $", groups={Groups}" : "")
        + (Bias is null ? ", bias=False" : "");
}

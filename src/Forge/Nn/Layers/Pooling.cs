using Forge.Tensors;

namespace Forge.Nn;

/// <summary>2-D max pooling with a square window (PyTorch's nn.MaxPool2d); the stride defaults to the kernel size.</summary>
public sealed class MaxPool2d : Module<Tensor, Tensor>
{
    /// <summary>Pools windows of <paramref name="kernelSize"/>².</summary>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0)
    {
        LayerChecks.CheckSize(nameof(kernelSize), kernelSize);
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
    }

    /// <summary>The window size.</summary>
    public int KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public int Stride { get; }

    /// <summary>The padding on each side (never the maximum).</summary>
    public int Padding { get; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Functional.MaxPool2d(input, KernelSize, Stride, Padding);

    /// <inheritdoc />
    public override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}

/// <summary>2-D average pooling with a square window (PyTorch's nn.AvgPool2d, padding counted as zeros).</summary>
public sealed class AvgPool2d : Module<Tensor, Tensor>
{
    /// <summary>Averages windows of <paramref name="kernelSize"/>².</summary>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0)
    {
        LayerChecks.CheckSize(nameof(kernelSize), kernelSize);
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
    }

    /// <summary>The window size.</summary>
    public int KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public int Stride { get; }

    /// <summary>The zero padding on each side.</summary>
    public int Padding { get; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Functional.AvgPool2d(input, KernelSize, Stride, Padding);

    /// <inheritdoc />
    public override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}

/// <summary>Average pooling onto a fixed output grid (PyTorch's nn.AdaptiveAvgPool2d), e.g. (1, 1) before a classifier.</summary>
public sealed class AdaptiveAvgPool2d : Module<Tensor, Tensor>
{
    /// <summary>Pools onto a square grid of <paramref name="outputSize"/>².</summary>
    public AdaptiveAvgPool2d(int outputSize) : this((outputSize, outputSize)) { }

    /// <summary>Pools onto an <paramref name="outputSize"/> grid.</summary>
    public AdaptiveAvgPool2d((int Height, int Width) outputSize)
    {
        LayerChecks.CheckSize(nameof(outputSize), outputSize.Height);
        LayerChecks.CheckSize(nameof(outputSize), outputSize.Width);
        OutputSize = outputSize;
    }

    /// <summary>The output grid.</summary>
    public (int Height, int Width) OutputSize { get; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Functional.AdaptiveAvgPool2d(input, OutputSize);

    /// <inheritdoc />
    public override string ExtraRepr() => $"output_size={LayerChecks.PyPair(OutputSize)}";
}

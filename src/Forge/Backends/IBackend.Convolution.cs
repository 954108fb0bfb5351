using Forge.Tensors;

namespace Forge.Backends;

/// <summary>The geometry of a 2-D sliding window: kernel, stride and zero padding per axis.</summary>
/// <param name="KernelHeight">Window height.</param>
/// <param name="KernelWidth">Window width.</param>
/// <param name="StrideHeight">Vertical step.</param>
/// <param name="StrideWidth">Horizontal step.</param>
/// <param name="PaddingHeight">Rows added above and below.</param>
/// <param name="PaddingWidth">Columns added left and right.</param>
public readonly record struct Window2d(int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int PaddingHeight, int PaddingWidth)
{
    /// <summary>Output rows for an input of <paramref name="height"/> rows.</summary>
    public int OutputHeight(int height) => (height + 2 * PaddingHeight - KernelHeight) / StrideHeight + 1;

    /// <summary>Output columns for an input of <paramref name="width"/> columns.</summary>
    public int OutputWidth(int width) => (width + 2 * PaddingWidth - KernelWidth) / StrideWidth + 1;
}

public partial interface IBackend
{
    /// <summary>
    /// Unfolds a contiguous [N, C, H, W] input into contiguous columns [groups, N, C/groups·kH·kW, outH·outW]
    /// (zero where the window covers padding), the layout that turns a grouped convolution into one batched product per group.
    /// </summary>
    void Im2Col(Tensor input, Tensor columns, int groups, Window2d window);

    /// <summary>The adjoint of <see cref="Im2Col"/>: overwrites the contiguous [N, C, H, W] <paramref name="input"/> with the sum of the column entries that read each element.</summary>
    void Col2Im(Tensor columns, Tensor input, int groups, Window2d window);
}

using Forge.Tensors;

namespace Forge.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Max pooling of a contiguous [N, C, H, W] input (padding counts as -∞, NaN propagates) into a contiguous output
    /// [N, C, outH, outW]; <paramref name="indices"/> (Int64, same shape) receives each maximum's position within its H·W plane.
    /// </summary>
    void MaxPool2d(Tensor input, Tensor output, Tensor indices, Window2d window);

    /// <summary>Gradient of <see cref="MaxPool2d"/>: overwrites gradInput [N, C, H, W] with gradOutput scattered (summed) to the recorded indices.</summary>
    void MaxPool2dBackward(Tensor gradOutput, Tensor indices, Tensor gradInput);

    /// <summary>Average pooling of a contiguous [N, C, H, W] input; padding counts as zeros and every window divides by kH·kW.</summary>
    void AvgPool2d(Tensor input, Tensor output, Window2d window);

    /// <summary>Gradient of <see cref="AvgPool2d"/>: overwrites gradInput [N, C, H, W].</summary>
    void AvgPool2dBackward(Tensor gradOutput, Tensor gradInput, Window2d window);

    /// <summary>
    /// Adaptive average pooling of a contiguous [N, C, H, W] input into the output's [outH, outW] grid: output cell i spans
    /// rows floor(i·H/outH) to ceil((i+1)·H/outH), and likewise for columns.
    /// </summary>
    void AdaptiveAvgPool2d(Tensor input, Tensor output);

    /// <summary>Gradient of <see cref="AdaptiveAvgPool2d"/>: overwrites gradInput [N, C, H, W].</summary>
    void AdaptiveAvgPool2dBackward(Tensor gradOutput, Tensor gradInput);
}

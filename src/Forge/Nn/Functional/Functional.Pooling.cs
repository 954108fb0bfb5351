using Forge.Backends;
using Forge.Tensors;

namespace Forge.Nn;

public static partial class Functional
{
    /// <summary>
    /// 2-D max pooling of [N, C, H, W] (or [C, H, W]) with a square window; <paramref name="stride"/> defaults to the kernel size and
    /// <paramref name="padding"/> (at most half the kernel) never wins. The gradient flows to each window's maximum.
    /// </summary>
    public static Tensor MaxPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0)
    {
        var (x, window) = PoolingLayout("MaxPool2d", input, kernelSize, stride, padding);
        if (padding > kernelSize / 2)
            throw new ForgeException($"MaxPool2d expects padding at most half the kernel size ({kernelSize / 2}), found {padding}.");
        int[] outShape = [x.Size(0), x.Size(1), window.OutputHeight(x.Size(2)), window.OutputWidth(x.Size(3))];
        Tensor output = Tensor.Empty(outShape, DType.Float32, input.Device);
        Tensor indices = Tensor.Empty(outShape, DType.Int64, input.Device);
        var backend = input.Backend;
        backend.MaxPool2d(x, output, indices, window);
        Tensor result = Tensor.Record(output, "MaxPool2dBackward", g =>
        {
            Tensor gradInput = Tensor.Uninitialized(x.shape, DType.Float32, input.Device);
            backend.MaxPool2dBackward(g.Contiguous(), indices, gradInput);
            return [gradInput.View([.. input.shape])];
        }, input);
        return input.Dim == 3 ? result.Squeeze(0) : result;
    }

    /// <summary>
    /// 2-D average pooling of [N, C, H, W] (or [C, H, W]) with a square window; <paramref name="stride"/> defaults to the kernel size.
    /// Padding counts as zeros and every window divides by kernelSize² (PyTorch's count_include_pad=True).
    /// </summary>
    public static Tensor AvgPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0)
    {
        var (x, window) = PoolingLayout("AvgPool2d", input, kernelSize, stride, padding);
        if (padding > kernelSize / 2)
            throw new ForgeException($"AvgPool2d expects padding at most half the kernel size ({kernelSize / 2}), found {padding}.");
        int[] outShape = [x.Size(0), x.Size(1), window.OutputHeight(x.Size(2)), window.OutputWidth(x.Size(3))];
        Tensor output = Tensor.Empty(outShape, DType.Float32, input.Device);
        var backend = input.Backend;
        backend.AvgPool2d(x, output, window);
        Tensor result = Tensor.Record(output, "AvgPool2dBackward", g =>
        {
            Tensor gradInput = Tensor.Uninitialized(x.shape, DType.Float32, input.Device);
            backend.AvgPool2dBackward(g.Contiguous(), gradInput, window);
            return [gradInput.View([.. input.shape])];
        }, input);
        return input.Dim == 3 ? result.Squeeze(0) : result;
    }

    /// <summary>
    /// Average pooling of [N, C, H, W] (or [C, H, W]) onto an <paramref name="outputSize"/> grid: output cell i covers input rows
    /// floor(i·H/outH) up to ceil((i+1)·H/outH), and likewise for columns, so sizes need not divide.
    /// </summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, (int Height, int Width) outputSize)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim is not (3 or 4)) throw new ForgeException($"AdaptiveAvgPool2d expects input [N, C, H, W] or [C, H, W], found {Tensor.Format(input.Shape)}.");
        if (input.DType != DType.Float32) throw new ForgeException($"AdaptiveAvgPool2d computes in Float32, found {input.DType}.");
        if (outputSize.Height < 1 || outputSize.Width < 1)
            throw new ForgeException($"AdaptiveAvgPool2d expects a positive output size, found ({outputSize.Height}, {outputSize.Width}).");
        Tensor x = input.Detach().Contiguous();
        if (x.Dim == 3) x = x.View(1, x.Size(0), x.Size(1), x.Size(2));
        if (x.Size(2) < 1 || x.Size(3) < 1) throw new ForgeException($"AdaptiveAvgPool2d expects a non-empty spatial size, found {Tensor.Format(input.Shape)}.");
        Tensor output = Tensor.Empty([x.Size(0), x.Size(1), outputSize.Height, outputSize.Width], DType.Float32, input.Device);
        var backend = input.Backend;
        backend.AdaptiveAvgPool2d(x, output);
        Tensor result = Tensor.Record(output, "AdaptiveAvgPool2dBackward", g =>
        {
            Tensor gradInput = Tensor.Uninitialized(x.shape, DType.Float32, input.Device);
            backend.AdaptiveAvgPool2dBackward(g.Contiguous(), gradInput);
            return [gradInput.View([.. input.shape])];
        }, input);
        return input.Dim == 3 ? result.Squeeze(0) : result;
    }

    /// <summary>Checks a pooling call and returns the input as a contiguous [N, C, H, W] tensor outside the graph, with its window.</summary>
    private static (Tensor Input, Window2d Window) PoolingLayout(string op, Tensor input, int kernelSize, int? stride, int padding)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim is not (3 or 4)) throw new ForgeException($"{op} expects input [N, C, H, W] or [C, H, W], found {Tensor.Format(input.Shape)}.");
        if (input.DType != DType.Float32) throw new ForgeException($"{op} computes in Float32, found {input.DType}.");
        int step = stride ?? kernelSize;
        if (kernelSize < 1) throw new ForgeException($"{op} expects a positive kernel size, found {kernelSize}.");
        if (step < 1) throw new ForgeException($"{op} expects a positive stride, found {step}.");
        if (padding < 0) throw new ForgeException($"{op} expects non-negative padding, found {padding}.");
        var window = new Window2d(kernelSize, kernelSize, step, step, padding, padding);
        Tensor x = input.Detach().Contiguous();
        if (x.Dim == 3) x = x.View(1, x.Size(0), x.Size(1), x.Size(2));
        RequireWindowFits(op, window, x.Size(2), x.Size(3));
        return (x, window);
    }
}

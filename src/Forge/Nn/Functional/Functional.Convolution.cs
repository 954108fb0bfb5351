using Forge.Backends;
using Forge.Tensors;

namespace Forge.Nn;

public static partial class Functional
{
    /// <summary>
    /// 2-D convolution (cross-correlation, as PyTorch) of <paramref name="input"/> [N, C, H, W] (or unbatched [C, H, W]) with
    /// <paramref name="weight"/> [out, C/groups, kH, kW] and an optional <paramref name="bias"/> [out]. A default
    /// <paramref name="stride"/> means (1, 1); padding adds zeros on both sides. Computed as im2col + matrix product per group.
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, (int Height, int Width) stride = default, (int Height, int Width) padding = default, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (stride == default) stride = (1, 1);
        if (stride.Height < 1 || stride.Width < 1) throw new ForgeException($"Conv2d expects positive strides, found ({stride.Height}, {stride.Width}).");
        if (padding.Height < 0 || padding.Width < 0) throw new ForgeException($"Conv2d expects non-negative padding, found ({padding.Height}, {padding.Width}).");
        if (groups < 1) throw new ForgeException($"Conv2d expects at least one group, found {groups}.");
        if (input.Dim is not (3 or 4)) throw new ForgeException($"Conv2d expects input [N, C, H, W] or [C, H, W], found {Tensor.Format(input.Shape)}.");
        if (weight.Dim != 4) throw new ForgeException($"Conv2d expects weight [out, in/groups, kH, kW], found {Tensor.Format(weight.Shape)}.");
        if (input.DType != DType.Float32 || weight.DType != DType.Float32 || (bias is not null && bias.DType != DType.Float32))
            throw new ForgeException($"Conv2d computes in Float32, found input {input.DType} and weight {weight.DType}.");
        if (input.Dim == 3) return Conv2d(input.Unsqueeze(0), weight, bias, stride, padding, groups).Squeeze(0);

        int batch = input.Size(0), channels = input.Size(1), height = input.Size(2), width = input.Size(3);
        int outChannels = weight.Size(0), groupChannels = weight.Size(1), kernelH = weight.Size(2), kernelW = weight.Size(3);
        if (outChannels % groups != 0)
            throw new ForgeException($"Conv2d expects output channels divisible by groups={groups}, found weight {Tensor.Format(weight.Shape)}.");
        if (channels != groupChannels * groups)
            throw new ForgeException($"Conv2d expects input with {groupChannels * groups} channels (weight {Tensor.Format(weight.Shape)}, groups={groups}), found {channels} in {Tensor.Format(input.Shape)}.");
        if (bias is not null && (bias.Dim != 1 || bias.Size(0) != outChannels))
            throw new ForgeException($"Conv2d expects bias [{outChannels}], found {Tensor.Format(bias.Shape)}.");
        var window = new Window2d(kernelH, kernelW, stride.Height, stride.Width, padding.Height, padding.Width);
        RequireWindowFits("Conv2d", window, height, width);

        int outH = window.OutputHeight(height), outW = window.OutputWidth(width);
        int length = outH * outW, depth = groupChannels * kernelH * kernelW, groupOut = outChannels / groups;
        var backend = input.Backend;
        Tensor x = input.Detach().Contiguous();
        Tensor w = weight.Detach().Contiguous();
        Tensor columns = Tensor.Empty([groups, batch, depth, length], DType.Float32, input.Device);
        backend.Im2Col(x, columns, groups, window);
        Tensor grouped = Tensor.Empty([groups, batch, groupOut, length], DType.Float32, input.Device);
        for (int g = 0; g < groups; g++)
        {
            Tensor groupWeight = StridedView(w, (long)g * groupOut * depth, [batch, groupOut, depth], [0, depth, 1]);
            backend.MatMul(groupWeight, columns.Select(0, g), grouped.Select(0, g), 0);
        }
        Tensor output = grouped.Permute(1, 0, 2, 3).Contiguous().View(batch, outChannels, outH, outW);
        if (bias is not null) output.AddInPlace(bias.Detach().View(1, outChannels, 1, 1));

        return Tensor.Record(output, "Conv2dBackward", gradOutput =>
        {
            Tensor g = gradOutput.Contiguous();
            Tensor? gradInput = null, gradWeight = null, gradBias = null;
            long sampleStride = (long)outChannels * length;
            if (input.RequiresGrad)
            {
                Tensor gradColumns = Tensor.Empty([groups, batch, depth, length], DType.Float32, input.Device);
                for (int gi = 0; gi < groups; gi++)
                {
                    Tensor weightT = StridedView(w, (long)gi * groupOut * depth, [batch, depth, groupOut], [0, 1, depth]);
                    Tensor groupGrad = StridedView(g, (long)gi * groupOut * length, [batch, groupOut, length], [sampleStride, length, 1]);
                    backend.MatMul(weightT, groupGrad, gradColumns.Select(0, gi), 0);
                }
                gradInput = Tensor.Empty([batch, channels, height, width], DType.Float32, input.Device);
                backend.Col2Im(gradColumns, gradInput, groups, window);
            }
            if (weight.RequiresGrad)
            {
                gradWeight = Tensor.Empty([outChannels, groupChannels, kernelH, kernelW], DType.Float32, input.Device);
                for (int gi = 0; gi < groups; gi++)
                {
                    Tensor target = StridedView(gradWeight, (long)gi * groupOut * depth, [1, groupOut, depth], [0, depth, 1]);
                    for (int n = 0; n < batch; n++)
                    {
                        Tensor sampleGrad = StridedView(g, n * sampleStride + (long)gi * groupOut * length, [1, groupOut, length], [0, length, 1]);
                        Tensor columnsT = StridedView(columns, ((long)gi * batch + n) * depth * length, [1, length, depth], [0, 1, length]);
                        backend.MatMul(sampleGrad, columnsT, target, n == 0 ? 0 : 1);
                    }
                }
                if (batch == 0) gradWeight.Zero();
            }
            if (bias is not null && bias.RequiresGrad) gradBias = g.Sum([0, 2, 3]);
            return [gradInput, gradWeight, gradBias];
        }, input, weight, bias);
    }

    /// <summary>2-D convolution with the same stride and padding on both axes; see the overload taking pairs.</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, int stride, int padding = 0, int groups = 1) =>
        Conv2d(input, weight, bias, (stride, stride), (padding, padding), groups);

    /// <summary>A raw strided view of <paramref name="tensor"/>'s storage for kernels, outside the graph.</summary>
    private static Tensor StridedView(Tensor tensor, long offset, int[] shape, long[] strides) =>
        new(tensor.Storage, shape, strides, tensor.StorageOffset + offset);

    /// <summary>Throws unless the window covers at least one position of the padded input.</summary>
    private static void RequireWindowFits(string op, Window2d window, int height, int width)
    {
        int paddedH = height + 2 * window.PaddingHeight, paddedW = width + 2 * window.PaddingWidth;
        if (window.KernelHeight > paddedH || window.KernelWidth > paddedW)
            throw new ForgeException($"{op} kernel {window.KernelHeight}x{window.KernelWidth} is larger than the padded input {paddedH}x{paddedW}.");
    }
}

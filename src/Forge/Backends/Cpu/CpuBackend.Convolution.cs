using Forge.Tensors;

namespace Forge.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc />
    public void Im2Col(Tensor input, Tensor columns, int groups, Window2d window)
    {
        int batch = input.Size(0), channels = input.Size(1), height = input.Size(2), width = input.Size(3);
        int outH = window.OutputHeight(height), outW = window.OutputWidth(width);
        int kernelArea = window.KernelHeight * window.KernelWidth, groupChannels = channels / groups;
        int length = outH * outW;
        float* src = input.Ptr<float>(), dst = columns.Ptr<float>();
        long rows = (long)batch * channels * kernelArea;
        CpuParallel.For(rows, Math.Max(1, 8192 / Math.Max(length, 1)), (start, end) =>
        {
            for (long row = start; row < end; row++)
            {
                int kj = (int)(row % window.KernelWidth);
                int ki = (int)(row / window.KernelWidth % window.KernelHeight);
                int c = (int)(row / kernelArea % channels);
                int n = (int)(row / kernelArea / channels);
                int g = c / groupChannels;
                long columnRow = (((long)g * batch + n) * groupChannels + c % groupChannels) * kernelArea + ki * window.KernelWidth + kj;
                float* plane = src + ((long)n * channels + c) * height * width;
                float* outRow = dst + columnRow * length;
                for (int oh = 0; oh < outH; oh++)
                {
                    int ih = oh * window.StrideHeight - window.PaddingHeight + ki;
                    float* o = outRow + oh * outW;
                    if (ih < 0 || ih >= height)
                    {
                        new Span<float>(o, outW).Clear();
                        continue;
                    }
                    float* line = plane + (long)ih * width;
                    for (int ow = 0; ow < outW; ow++)
                    {
                        int iw = ow * window.StrideWidth - window.PaddingWidth + kj;
                        o[ow] = iw >= 0 && iw < width ? line[iw] : 0;
                    }
                }
            }
        });
    }

    /// <inheritdoc />
    public void Col2Im(Tensor columns, Tensor input, int groups, Window2d window)
    {
        int batch = input.Size(0), channels = input.Size(1), height = input.Size(2), width = input.Size(3);
        int outH = window.OutputHeight(height), outW = window.OutputWidth(width);
        int kernelArea = window.KernelHeight * window.KernelWidth, groupChannels = channels / groups;
        int length = outH * outW;
        float* src = columns.Ptr<float>(), dst = input.Ptr<float>();
        CpuParallel.For((long)batch * channels, 1, (start, end) =>
        {
            for (long planeIndex = start; planeIndex < end; planeIndex++)
            {
                int c = (int)(planeIndex % channels), n = (int)(planeIndex / channels);
                int g = c / groupChannels;
                float* plane = dst + planeIndex * height * width;
                new Span<float>(plane, height * width).Clear();
                long firstRow = (((long)g * batch + n) * groupChannels + c % groupChannels) * kernelArea;
                for (int ki = 0; ki < window.KernelHeight; ki++)
                {
                    for (int kj = 0; kj < window.KernelWidth; kj++)
                    {
                        float* colRow = src + (firstRow + ki * window.KernelWidth + kj) * length;
                        for (int oh = 0; oh < outH; oh++)
                        {
                            int ih = oh * window.StrideHeight - window.PaddingHeight + ki;
                            if (ih < 0 || ih >= height) continue;
                            float* line = plane + (long)ih * width;
                            float* col = colRow + oh * outW;
                            for (int ow = 0; ow < outW; ow++)
                            {
                                int iw = ow * window.StrideWidth - window.PaddingWidth + kj;
                                if (iw >= 0 && iw < width) line[iw] += col[ow];
                            }
                        }
                    }
                }
            }
        });
    }
}

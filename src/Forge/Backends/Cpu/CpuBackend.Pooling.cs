using Forge.Tensors;

namespace Forge.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc />
    public void MaxPool2d(Tensor input, Tensor output, Tensor indices, Window2d window)
    {
        int height = input.Size(2), width = input.Size(3), outH = output.Size(2), outW = output.Size(3);
        float* src = input.Ptr<float>(), dst = output.Ptr<float>();
        long* idx = indices.Ptr<long>();
        CpuParallel.For((long)input.Size(0) * input.Size(1), 1, (start, end) =>
        {
            for (long p = start; p < end; p++)
            {
                float* plane = src + p * height * width;
                for (int oh = 0; oh < outH; oh++)
                {
                    int h0 = oh * window.StrideHeight - window.PaddingHeight;
                    int hStart = Math.Max(h0, 0), hEnd = Math.Min(h0 + window.KernelHeight, height);
                    for (int ow = 0; ow < outW; ow++)
                    {
                        int w0 = ow * window.StrideWidth - window.PaddingWidth;
                        int wStart = Math.Max(w0, 0), wEnd = Math.Min(w0 + window.KernelWidth, width);
                        long o = (p * outH + oh) * outW + ow;
                        dst[o] = WindowMax(plane, width, hStart, hEnd, wStart, wEnd, out long bestIndex);
                        idx[o] = bestIndex;
                    }
                }
            }
        });
    }

    /// <inheritdoc />
    public void MaxPool2dBackward(Tensor gradOutput, Tensor indices, Tensor gradInput)
    {
        int planeSize = gradInput.Size(2) * gradInput.Size(3);
        int outSize = gradOutput.Size(2) * gradOutput.Size(3);
        float* g = gradOutput.Ptr<float>(), gx = gradInput.Ptr<float>();
        long* idx = indices.Ptr<long>();
        CpuParallel.For((long)gradInput.Size(0) * gradInput.Size(1), 1, (start, end) =>
        {
            for (long p = start; p < end; p++)
            {
                float* plane = gx + p * planeSize;
                new Span<float>(plane, planeSize).Clear();
                for (long o = p * outSize; o < (p + 1) * outSize; o++) plane[idx[o]] += g[o];
            }
        });
    }

    /// <inheritdoc />
    public void AvgPool2d(Tensor input, Tensor output, Window2d window)
    {
        int height = input.Size(2), width = input.Size(3), outH = output.Size(2), outW = output.Size(3);
        float* src = input.Ptr<float>(), dst = output.Ptr<float>();
        float scale = 1f / (window.KernelHeight * window.KernelWidth);
        CpuParallel.For((long)input.Size(0) * input.Size(1), 1, (start, end) =>
        {
            for (long p = start; p < end; p++)
            {
                float* plane = src + p * height * width;
                for (int oh = 0; oh < outH; oh++)
                {
                    int h0 = oh * window.StrideHeight - window.PaddingHeight;
                    int hStart = Math.Max(h0, 0), hEnd = Math.Min(h0 + window.KernelHeight, height);
                    for (int ow = 0; ow < outW; ow++)
                    {
                        int w0 = ow * window.StrideWidth - window.PaddingWidth;
                        int wStart = Math.Max(w0, 0), wEnd = Math.Min(w0 + window.KernelWidth, width);
                        float sum = 0;
                        for (int h = hStart; h < hEnd; h++)
                            for (int w = wStart; w < wEnd; w++) sum += plane[(long)h * width + w];
                        dst[(p * outH + oh) * outW + ow] = sum * scale;
                    }
                }
            }
        });
    }

    /// <inheritdoc />
    public void AvgPool2dBackward(Tensor gradOutput, Tensor gradInput, Window2d window)
    {
        int height = gradInput.Size(2), width = gradInput.Size(3), outH = gradOutput.Size(2), outW = gradOutput.Size(3);
        float* g = gradOutput.Ptr<float>(), gx = gradInput.Ptr<float>();
        float scale = 1f / (window.KernelHeight * window.KernelWidth);
        CpuParallel.For((long)gradInput.Size(0) * gradInput.Size(1), 1, (start, end) =>
        {
            for (long p = start; p < end; p++)
            {
                float* plane = gx + p * height * width;
                new Span<float>(plane, height * width).Clear();
                for (int oh = 0; oh < outH; oh++)
                {
                    int h0 = oh * window.StrideHeight - window.PaddingHeight;
                    int hStart = Math.Max(h0, 0), hEnd = Math.Min(h0 + window.KernelHeight, height);
                    for (int ow = 0; ow < outW; ow++)
                    {
                        int w0 = ow * window.StrideWidth - window.PaddingWidth;
                        int wStart = Math.Max(w0, 0), wEnd = Math.Min(w0 + window.KernelWidth, width);
                        float share = g[(p * outH + oh) * outW + ow] * scale;
                        for (int h = hStart; h < hEnd; h++)
                            for (int w = wStart; w < wEnd; w++) plane[(long)h * width + w] += share;
                    }
                }
            }
        });
    }

    /// <inheritdoc />
    public void AdaptiveAvgPool2d(Tensor input, Tensor output)
    {
        int height = input.Size(2), width = input.Size(3), outH = output.Size(2), outW = output.Size(3);
        float* src = input.Ptr<float>(), dst = output.Ptr<float>();
        CpuParallel.For((long)input.Size(0) * input.Size(1), 1, (start, end) =>
        {
            for (long p = start; p < end; p++)
            {
                float* plane = src + p * height * width;
                for (int oh = 0; oh < outH; oh++)
                {
                    int hStart = AdaptiveStart(oh, height, outH), hEnd = AdaptiveEnd(oh, height, outH);
                    for (int ow = 0; ow < outW; ow++)
                    {
                        int wStart = AdaptiveStart(ow, width, outW), wEnd = AdaptiveEnd(ow, width, outW);
                        float sum = 0;
                        for (int h = hStart; h < hEnd; h++)
                            for (int w = wStart; w < wEnd; w++) sum += plane[(long)h * width + w];
                        dst[(p * outH + oh) * outW + ow] = sum / ((hEnd - hStart) * (wEnd - wStart));
                    }
                }
            }
        });
    }

    /// <inheritdoc />
    public void AdaptiveAvgPool2dBackward(Tensor gradOutput, Tensor gradInput)
    {
        int height = gradInput.Size(2), width = gradInput.Size(3), outH = gradOutput.Size(2), outW = gradOutput.Size(3);
        float* g = gradOutput.Ptr<float>(), gx = gradInput.Ptr<float>();
        CpuParallel.For((long)gradInput.Size(0) * gradInput.Size(1), 1, (start, end) =>
        {
            for (long p = start; p < end; p++)
            {
                float* plane = gx + p * height * width;
                new Span<float>(plane, height * width).Clear();
                for (int oh = 0; oh < outH; oh++)
                {
                    int hStart = AdaptiveStart(oh, height, outH), hEnd = AdaptiveEnd(oh, height, outH);
                    for (int ow = 0; ow < outW; ow++)
                    {
                        int wStart = AdaptiveStart(ow, width, outW), wEnd = AdaptiveEnd(ow, width, outW);
                        float share = g[(p * outH + oh) * outW + ow] / ((hEnd - hStart) * (wEnd - wStart));
                        for (int h = hStart; h < hEnd; h++)
                            for (int w = wStart; w < wEnd; w++) plane[(long)h * width + w] += share;
                    }
                }
            }
        });
    }

    /// <summary>The largest element of a window (the first NaN if any) and its index in the plane.</summary>
    private static float WindowMax(float* plane, int width, int hStart, int hEnd, int wStart, int wEnd, out long index)
    {
        float best = float.NegativeInfinity;
        index = (long)hStart * width + wStart;
        for (int h = hStart; h < hEnd; h++)
        {
            for (int w = wStart; w < wEnd; w++)
            {
                float v = plane[(long)h * width + w];
                if (float.IsNaN(v))
                {
                    index = (long)h * width + w;
                    return v;
                }
                if (v > best)
                {
                    best = v;
                    index = (long)h * width + w;
                }
            }
        }
        return best;
    }

    private static int AdaptiveStart(int index, int inputSize, int outputSize) => (int)((long)index * inputSize / outputSize);

    private static int AdaptiveEnd(int index, int inputSize, int outputSize) => (int)(((long)(index + 1) * inputSize + outputSize - 1) / outputSize);
}

using Forge.Tensors;

namespace Forge.Nn;

public static partial class Functional
{
    /// <summary>
    /// Inverted dropout: while training, zeroes each element with probability <paramref name="p"/> and scales the rest by
    /// 1/(1 − p), so the expected value is unchanged; the identity when not training or p = 0. The mask is drawn from
    /// <paramref name="generator"/> (or <see cref="Generator.Default"/>), so a seeded generator reproduces it.
    /// </summary>
    public static Tensor Dropout(Tensor x, float p, bool training, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!(p >= 0 && p < 1)) throw new ForgeException($"Dropout probability must be in [0, 1), found {p}.");
        if (!training || p == 0) return x;
        return x.Mul(DropoutMask(x.Shape, p, generator ?? Generator.Default, x.Device));
    }

    /// <summary>A Float32 tensor of 0 (probability p) and 1/(1 − p) values.</summary>
    private static Tensor DropoutMask(IReadOnlyList<int> shape, float p, Generator generator, Device device)
    {
        Tensor mask = Tensor.Empty([.. shape]);
        FillDropoutMask(mask, p, generator);
        StepGraph.Capturing?.AddHostWork(FillDropoutMaskAction(mask, p, generator));
        return mask.To(device);
    }

    private static Action FillDropoutMaskAction(Tensor mask, float p, Generator generator) => () => FillDropoutMask(mask, p, generator);

    private static void FillDropoutMask(Tensor mask, float p, Generator generator)
    {
        float scale = 1f / (1f - p);
        Span<float> data = mask.Span<float>();
        generator.FillUniform(data);
        for (int i = 0; i < data.Length; i++) data[i] = data[i] >= p ? scale : 0f;
        GC.KeepAlive(mask);
    }
}

using Forge.Backends.Cpu;
using Forge.Tensors;

namespace Forge.Nn;

/// <summary>The nonlinearity an initializer's gain is computed for (PyTorch's calculate_gain names).</summary>
public enum Nonlinearity
{
    /// <summary>Identity, linear and convolution layers: gain 1.</summary>
    Linear,
    /// <summary>Sigmoid: gain 1.</summary>
    Sigmoid,
    /// <summary>Tanh: gain 5/3.</summary>
    Tanh,
    /// <summary>ReLU: gain √2.</summary>
    Relu,
    /// <summary>Leaky ReLU with negative slope a: gain √(2 / (1 + a²)).</summary>
    LeakyRelu,
    /// <summary>SELU: gain 3/4.</summary>
    Selu,
}

/// <summary>Which fan Kaiming initialization preserves the variance of.</summary>
public enum FanMode
{
    /// <summary>The number of inputs: preserves the variance of activations in the forward pass.</summary>
    FanIn,
    /// <summary>The number of outputs: preserves the variance of gradients in the backward pass.</summary>
    FanOut,
}

/// <summary>
/// Weight initializers (PyTorch's torch.nn.init). Each fills a tensor in place, without recording gradients, and returns it;
/// random ones draw from their generator argument (<see cref="Generator.Default"/> when null), so a seeded generator
/// reproduces them.
/// </summary>
public static class Init
{
    /// <summary>The recommended gain for <paramref name="nonlinearity"/>; <paramref name="negativeSlope"/> is Leaky ReLU's slope (0.01 when null).</summary>
    public static double CalculateGain(Nonlinearity nonlinearity, double? negativeSlope = null) => nonlinearity switch
    {
        Nonlinearity.Linear or Nonlinearity.Sigmoid => 1,
        Nonlinearity.Tanh => 5.0 / 3,
        Nonlinearity.Relu => Math.Sqrt(2),
        Nonlinearity.LeakyRelu => Math.Sqrt(2 / (1 + Math.Pow(negativeSlope ?? 0.01, 2))),
        Nonlinearity.Selu => 0.75,
        _ => throw new ForgeException($"Unknown nonlinearity {nonlinearity}."),
    };

    /// <summary>
    /// Fan-in and fan-out of a weight of at least two dimensions: [out, in, k...] has fan-in in·Πk and fan-out out·Πk (Linear's
    /// [out, in] and Conv2d's [out, in/groups, kH, kW] alike).
    /// </summary>
    public static (int FanIn, int FanOut) CalculateFans(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Dim < 2) throw new ForgeException($"Fan-in and fan-out need a tensor of at least 2 dimensions, found shape {Tensor.Format(tensor.Shape)}.");
        int receptive = 1;
        for (int d = 2; d < tensor.Dim; d++) receptive *= tensor.Shape[d];
        return (tensor.Shape[1] * receptive, tensor.Shape[0] * receptive);
    }

    /// <summary>Fills with samples of the uniform distribution on [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static Tensor Uniform(Tensor tensor, double low = 0, double high = 1, Generator? generator = null)
    {
        if (!(low <= high) || !double.IsFinite(low) || !double.IsFinite(high)) throw new ForgeException($"Uniform needs finite low ≤ high, found [{low}, {high}).");
        Generator g = generator ?? Generator.Default;
        return Fill(tensor, () => low + (high - low) * g.NextDouble());
    }

    /// <summary>Fills with samples of the normal distribution N(<paramref name="mean"/>, <paramref name="std"/>²).</summary>
    public static Tensor Normal(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
    {
        CheckStd(std);
        Generator g = generator ?? Generator.Default;
        return Fill(tensor, () => mean + std * g.NextNormal());
    }

    /// <summary>
    /// Fills with samples of N(<paramref name="mean"/>, <paramref name="std"/>²) restricted to [<paramref name="low"/>, <paramref name="high"/>]
    /// (absolute bounds, as PyTorch's trunc_normal_), drawn exactly by inverting the normal distribution function.
    /// </summary>
    public static Tensor TruncatedNormal(Tensor tensor, double mean = 0, double std = 1, double low = -2, double high = 2, Generator? generator = null)
    {
        CheckStd(std);
        if (!(low < high)) throw new ForgeException($"TruncatedNormal needs low < high, found [{low}, {high}].");
        Generator g = generator ?? Generator.Default;
        double alpha = std == 0 ? 0 : (low - mean) / std, beta = std == 0 ? 0 : (high - mean) / std;
        // Sample the side nearer the center, where the distribution function keeps its precision, and mirror back.
        bool mirrored = alpha > 0;
        if (mirrored) (alpha, beta) = (-beta, -alpha);
        double from = NormalCdf(alpha), to = NormalCdf(beta);
        return Fill(tensor, () =>
        {
            double z = InverseNormalCdf(from + (to - from) * g.NextDouble());
            return Math.Clamp(mean + std * (mirrored ? -z : z), low, high);
        });
    }

    /// <summary>Fills with <paramref name="value"/>.</summary>
    public static Tensor Constant(Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.Fill(value);
    }

    /// <summary>Fills with zeros.</summary>
    public static Tensor Zeros(Tensor tensor) => Constant(tensor, 0);

    /// <summary>Fills with ones.</summary>
    public static Tensor Ones(Tensor tensor) => Constant(tensor, 1);

    /// <summary>Glorot uniform: U(−a, a) with a = gain·√(6 / (fanIn + fanOut)).</summary>
    public static Tensor XavierUniform(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = CalculateFans(tensor);
        double bound = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
        return Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>Glorot normal: N(0, std²) with std = gain·√(2 / (fanIn + fanOut)).</summary>
    public static Tensor XavierNormal(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = CalculateFans(tensor);
        return Normal(tensor, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), generator);
    }

    /// <summary>
    /// He uniform: U(−b, b) with b = gain·√(3 / fan), the gain computed for <paramref name="nonlinearity"/> with negative slope
    /// <paramref name="a"/> (PyTorch's defaults: a = 0, fan-in, Leaky ReLU; Linear layers use a = √5).
    /// </summary>
    public static Tensor KaimingUniform(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyRelu, Generator? generator = null)
    {
        double bound = Math.Sqrt(3) * KaimingStd(tensor, a, mode, nonlinearity);
        return Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>He normal: N(0, std²) with std = gain / √fan.</summary>
    public static Tensor KaimingNormal(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyRelu, Generator? generator = null) =>
        Normal(tensor, 0, KaimingStd(tensor, a, mode, nonlinearity), generator);

    /// <summary>The standard normal distribution function Φ, accurate in relative terms far into the lower tail.</summary>
    internal static double NormalCdf(double x) => 0.5 * SpecialFunctions.Erfc(-x / Math.Sqrt(2));

    /// <summary>Φ⁻¹ by Acklam's rational approximation (relative error below 1.2e-9, far below float precision).</summary>
    internal static double InverseNormalCdf(double p)
    {
        if (p <= 0) return double.NegativeInfinity;
        if (p >= 1) return double.PositiveInfinity;
        const double low = 0.02425;
        if (p < low)
        {
            double q = Math.Sqrt(-2 * Math.Log(p));
            return Tail(q);
        }
        if (p > 1 - low)
        {
            double q = Math.Sqrt(-2 * Math.Log(1 - p));
            return -Tail(q);
        }
        double c = p - 0.5, r = c * c;
        return (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r + 1.383577518672690e+02) * r - 3.066479806614716e+01) * r + 2.506628277459239e+00) * c
            / (((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r + 6.680131188771972e+01) * r - 1.328068155288572e+01) * r + 1);

        static double Tail(double q) =>
            (((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00)
            / ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q + 3.754408661907416e+00) * q + 1);
    }

    private static double KaimingStd(Tensor tensor, double a, FanMode mode, Nonlinearity nonlinearity)
    {
        var (fanIn, fanOut) = CalculateFans(tensor);
        int fan = mode == FanMode.FanIn ? fanIn : fanOut;
        if (fan == 0) throw new ForgeException($"Kaiming initialization needs a non-zero fan, found a tensor of shape {Tensor.Format(tensor.Shape)}.");
        return CalculateGain(nonlinearity, a) / Math.Sqrt(fan);
    }

    private static void CheckStd(double std)
    {
        if (!(std >= 0) || !double.IsFinite(std)) throw new ForgeException($"The standard deviation must be a finite value ≥ 0, found {std}.");
    }

    /// <summary>Writes one sample per element, in row-major order.</summary>
    private static Tensor Fill(Tensor tensor, Func<double> sample)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var data = new float[tensor.Numel];
        for (int i = 0; i < data.Length; i++) data[i] = (float)sample();
        return tensor.CopyFrom(Tensor.FromArray(data).Reshape([.. tensor.Shape]));
    }
}

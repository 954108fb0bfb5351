using System.Globalization;
using Forge.Tensors;

namespace Forge.Nn;

/// <summary>Checks and formatting shared by the layers.</summary>
internal static class LayerChecks
{
    /// <summary>Throws unless a size is positive (or zero when allowed).</summary>
    public static void CheckSize(string name, int value, bool allowZero = false)
    {
        if (value < 0 || (value == 0 && !allowZero))
            throw new ForgeException($"{name} must be {(allowZero ? "≥ 0" : "positive")}, found {value}.");
    }

    /// <summary>Throws unless a probability is in [0, 1).</summary>
    public static void CheckProbability(string name, float p)
    {
        if (!(p >= 0 && p < 1)) throw new ForgeException($"{name} must be in [0, 1), found {p}.");
    }

    /// <summary>Fills a bias with U(±1/√fanIn) of its weight, PyTorch's default for Linear and Conv2d.</summary>
    public static void FanInUniform(Tensor bias, Tensor weight, Generator? generator)
    {
        int fanIn = Init.CalculateFans(weight).FanIn;
        double bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
        Init.Uniform(bias, -bound, bound, generator);
    }

    /// <summary>A float as Python prints it (1e-05, 0.1, 1.0).</summary>
    public static string PyFloat(float value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
        return text.Contains('.', StringComparison.Ordinal) || text.Contains('e', StringComparison.Ordinal) ? text : text + ".0";
    }

    /// <summary>A pair as a Python tuple: (3, 3).</summary>
    public static string PyPair((int Height, int Width) pair) => $"({pair.Height}, {pair.Width})";
}

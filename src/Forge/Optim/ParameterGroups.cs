using Forge.Nn;
using Forge.Tensors;

namespace Forge.Optim;

/// <summary>Helpers that build the usual parameter groups.</summary>
public static class ParameterGroups
{
    /// <summary>
    /// Splits named parameters into a group with weight decay <paramref name="weightDecay"/> and a group with weight decay 0
    /// (each left out when empty; decayed group first). <paramref name="noDecay"/> picks the parameters that get no decay; by
    /// default these are biases, tensors with at most one dimension, and normalization weights (names containing "norm"
    /// in any case, or "ln_").
    /// </summary>
    public static IReadOnlyList<ParameterGroup> WithNoDecay(IEnumerable<(string Name, Tensor Parameter)> namedParameters,
        double weightDecay, Func<string, Tensor, bool>? noDecay = null)
    {
        ArgumentNullException.ThrowIfNull(namedParameters);
        Func<string, Tensor, bool> exclude = noDecay ?? IsNoDecayByDefault;
        var decayed = new List<Tensor>();
        var undecayed = new List<Tensor>();
        foreach (var (name, parameter) in namedParameters)
        {
            if (parameter is null) throw new ForgeException($"Parameter '{name}' is null.");
            (exclude(name, parameter) ? undecayed : decayed).Add(parameter);
        }
        var groups = new List<ParameterGroup>();
        if (decayed.Count > 0) groups.Add(new ParameterGroup(decayed) { WeightDecay = weightDecay });
        if (undecayed.Count > 0) groups.Add(new ParameterGroup(undecayed) { WeightDecay = 0 });
        return groups;
    }

    /// <summary>
    /// Splits the parameters of <paramref name="model"/> by their dotted names into a decayed group and a no-decay group, as
    /// <see cref="WithNoDecay(IEnumerable{ValueTuple{string, Tensor}}, double, Func{string, Tensor, bool}?)"/> does (by default biases,
    /// normalization weights and other one-dimensional parameters get no decay). Frozen parameters are left out.
    /// </summary>
    public static IReadOnlyList<ParameterGroup> WithNoDecay(Module model, double weightDecay, Func<string, Tensor, bool>? noDecay = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return WithNoDecay(model.NamedParameters().Where(p => p.Parameter.RequiresGrad).Select(p => (p.Name, (Tensor)p.Parameter)), weightDecay, noDecay);
    }

    /// <summary>The default no-decay rule of <see cref="WithNoDecay(IEnumerable{ValueTuple{string, Tensor}}, double, Func{string, Tensor, bool}?)"/>.</summary>
    public static bool IsNoDecayByDefault(string name, Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(parameter);
        return parameter.Dim <= 1
            || name.EndsWith("bias", StringComparison.Ordinal)
            || name.Contains("norm", StringComparison.OrdinalIgnoreCase)
            || name.Contains("ln_", StringComparison.Ordinal);
    }
}

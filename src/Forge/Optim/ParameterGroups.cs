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

    /// <summary>The default no-decay rule of <see cref="WithNoDecay"/>.</summary>
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

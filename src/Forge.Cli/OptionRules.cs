using System.CommandLine;

namespace Forge.Cli;

/// <summary>The value checks the commands' options share; each adds a parse error naming the option (exit code 2).</summary>
internal static class OptionRules
{
    /// <summary>Each value must be at least <paramref name="minimum"/> ("must not be negative" for 0).</summary>
    public static void AtLeast(int minimum, params Option<int>[] options)
    {
        foreach (Option<int> option in options)
        {
            option.Validators.Add(r =>
            {
                if (r.GetValueOrDefault<int>() < minimum)
                    r.AddError(minimum == 0 ? $"{option.Name} must not be negative." : $"{option.Name} must be at least {minimum}.");
            });
        }
    }

    /// <summary>The value must be greater than 0.</summary>
    public static void Positive(Option<double> option) =>
        option.Validators.Add(r =>
        {
            if (!(r.GetValueOrDefault<double>() > 0)) r.AddError($"{option.Name} must be positive.");
        });

    /// <summary>The value, when given, must be greater than 0.</summary>
    public static void Positive(Option<double?> option) =>
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double?>() is <= 0 or double.NaN) r.AddError($"{option.Name} must be positive.");
        });

    /// <summary>The value must be 0 or more.</summary>
    public static void NonNegative(Option<double> option) =>
        option.Validators.Add(r =>
        {
            if (!(r.GetValueOrDefault<double>() >= 0)) r.AddError($"{option.Name} must not be negative.");
        });

    /// <summary>The value must lie in [0, 1], or in (0, 1) when <paramref name="exclusive"/>.</summary>
    public static void Fraction(Option<double> option, bool exclusive = false) =>
        option.Validators.Add(r =>
        {
            double value = r.GetValueOrDefault<double>();
            if (exclusive ? value is not (> 0 and < 1) : value is not (>= 0 and <= 1)) r.AddError($"{option.Name} must be between 0 and 1.");
        });
}

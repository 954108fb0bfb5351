using System.Globalization;

namespace Forge.Benchmarks;

/// <summary>The <c>--name value</c> options and bare arguments of a benchmark mode.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string> options = new(StringComparer.Ordinal);
    private readonly HashSet<string> flags = new(StringComparer.Ordinal);

    /// <summary>Splits <paramref name="args"/>; <paramref name="flagNames"/> take no value.</summary>
    public CommandLine(string[] args, params string[] flagNames)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal)) Positional.Add(arg);
            else if (flagNames.Contains(arg)) flags.Add(arg);
            else if (i + 1 < args.Length) options[arg] = args[++i];
            else throw new ArgumentException($"Option {arg} needs a value.");
        }
    }

    /// <summary>Arguments that are not options.</summary>
    public List<string> Positional { get; } = [];

    /// <summary>Whether the flag was given.</summary>
    public bool Flag(string name) => flags.Contains(name);

    /// <summary>The option's text, or <paramref name="fallback"/>.</summary>
    public string Text(string name, string fallback) => options.GetValueOrDefault(name, fallback);

    /// <summary>The option's integer value, or <paramref name="fallback"/>.</summary>
    public int Int(string name, int fallback) =>
        options.TryGetValue(name, out string? text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
}

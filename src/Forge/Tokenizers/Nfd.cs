using System.Globalization;
using System.Text;

namespace Forge.Tokenizers;

/// <summary>
/// Unicode canonical decomposition (NFD) of single characters, from a table made by tools/gen-nfd-table.py (Forge runs with
/// invariant globalization, where <see cref="string.Normalize()"/> cannot decompose). Hangul syllables are decomposed arithmetically.
/// Combining marks are not reordered across characters.
/// </summary>
internal static class Nfd
{
    private const int HangulBase = 0xAC00, HangulCount = 11172, LeadBase = 0x1100, VowelBase = 0x1161, TrailBase = 0x11A7;
    private const int VowelCount = 21, TrailCount = 28;

    private static readonly Lazy<Dictionary<int, string>> Table = new(Load);

    /// <summary>Appends the canonical decomposition of <paramref name="rune"/> (the rune itself when it has none).</summary>
    public static void Decompose(Rune rune, StringBuilder output)
    {
        int c = rune.Value;
        if (c < 0xC0)
        {
            output.Append(rune.ToString());
            return;
        }
        int s = c - HangulBase;
        if (s is >= 0 and < HangulCount)
        {
            output.Append((char)(LeadBase + s / (VowelCount * TrailCount)));
            output.Append((char)(VowelBase + s % (VowelCount * TrailCount) / TrailCount));
            if (s % TrailCount != 0)
            {
                output.Append((char)(TrailBase + s % TrailCount));
            }
            return;
        }
        output.Append(Table.Value.TryGetValue(c, out string? decomposed) ? decomposed : rune.ToString());
    }

    private static Dictionary<int, string> Load()
    {
        using Stream stream = typeof(Nfd).Assembly.GetManifestResourceStream("Forge.Tokenizers.NfdDecompositions.txt")
            ?? throw new InvalidOperationException("The NFD table resource is missing from the Forge assembly.");
        using var reader = new StreamReader(stream);
        var table = new Dictionary<int, string>(2100);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            string[] parts = line.Split(' ');
            var decomposed = new StringBuilder(parts.Length * 2);
            for (int i = 1; i < parts.Length; i++)
            {
                decomposed.Append(char.ConvertFromUtf32(int.Parse(parts[i], NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            }
            table[int.Parse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture)] = decomposed.ToString();
        }
        return table;
    }
}

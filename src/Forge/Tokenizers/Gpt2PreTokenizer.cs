using System.Globalization;

namespace Forge.Tokenizers;

/// <summary>
/// Splits text into the pieces GPT-2's pattern
/// <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c> matches, as Python's <c>regex</c> module does.
/// </summary>
/// <remarks>
/// A hand-written scanner rather than <see cref="System.Text.RegularExpressions.Regex"/>: .NET's regex classes look at UTF-16 code
/// units, so a letter or digit outside the Basic Multilingual Plane (two surrogates, category Cs) would fall into
/// <c>[^\s\p{L}\p{N}]</c>. The scanner classifies whole code points; <c>\s</c> is Unicode's White_Space property, as in <c>regex</c>.
/// </remarks>
public static class Gpt2PreTokenizer
{
    private const byte Other = 0;
    private const byte Letter = 1;
    private const byte Number = 2;
    private const byte Space = 3;

    private static readonly byte[] BmpClasses = BuildBmpClasses();

    /// <summary>The pieces of a text, in order; concatenated they give the text back.</summary>
    public static IReadOnlyList<string> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pieces = new List<string>();
        int start = 0;
        while (start < text.Length)
        {
            int length = NextPieceLength(text, start);
            pieces.Add(text.Substring(start, length));
            start += length;
        }
        return pieces;
    }

    /// <summary>The length in UTF-16 code units of the piece that begins at <paramref name="start"/> (which must be inside the text).</summary>
    public static int NextPieceLength(ReadOnlySpan<char> text, int start)
    {
        int n = text.Length;
        char c = text[start];
        if (c == '\'' && start + 1 < n)
        {
            int contraction = ContractionLength(text, start);
            if (contraction > 0)
            {
                return contraction;
            }
        }

        int i = start;
        byte cls = ClassAt(text, i, out int width);
        if (c == ' ' && i + 1 < n)
        {
            byte next = ClassAt(text, i + 1, out int nextWidth);
            if (next != Space)
            {
                return 1 + RunLength(text, i + 1 + nextWidth, next) + nextWidth;
            }
        }
        if (cls != Space)
        {
            return width + RunLength(text, i + width, cls);
        }

        int end = i + 1;
        while (end < n && ClassAt(text, end, out _) == Space)
        {
            end++;
        }
        // \s+(?!\S) backs off one character when non-space text follows; a single space character falls to \s+.
        return end < n && end - start >= 2 ? end - start - 1 : end - start;
    }

    private static int ContractionLength(ReadOnlySpan<char> text, int start)
    {
        char a = text[start + 1];
        if (a is 's' or 't' or 'm' or 'd')
        {
            return 2;
        }
        if (start + 2 < text.Length)
        {
            char b = text[start + 2];
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
            {
                return 3;
            }
        }
        return 0;
    }

    /// <summary>The number of code units from <paramref name="i"/> on whose code points all have class <paramref name="cls"/>.</summary>
    private static int RunLength(ReadOnlySpan<char> text, int i, byte cls)
    {
        int start = i;
        while (i < text.Length && ClassAt(text, i, out int width) == cls)
        {
            i += width;
        }
        return i - start;
    }

    private static byte ClassAt(ReadOnlySpan<char> text, int i, out int width)
    {
        char c = text[i];
        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            width = 2;
            return ClassOf(CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[i + 1])));
        }
        width = 1;
        return BmpClasses[c];
    }

    private static byte ClassOf(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Letter,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Number,
        _ => Other,
    };

    private static byte[] BuildBmpClasses()
    {
        var table = new byte[65536];
        for (int c = 0; c < 65536; c++)
        {
            // char.IsWhiteSpace is Unicode's White_Space property: U+0009-000D, U+0085 and the Zs/Zl/Zp characters.
            table[c] = char.IsWhiteSpace((char)c) ? Space : ClassOf(CharUnicodeInfo.GetUnicodeCategory((char)c));
        }
        return table;
    }
}

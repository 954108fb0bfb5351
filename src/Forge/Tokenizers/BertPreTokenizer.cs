using System.Globalization;
using System.Text;

namespace Forge.Tokenizers;

/// <summary>How BERT normalizes text before splitting it (Hugging Face's <c>BertNormalizer</c>).</summary>
/// <param name="Lowercase">Lowercase the text (<c>do_lower_case</c>).</param>
/// <param name="StripAccents">Decompose (NFD) and drop non-spacing marks; null follows <paramref name="Lowercase"/>, as in BERT.</param>
/// <param name="HandleChineseChars">Put spaces around CJK ideographs so each is a word (<c>tokenize_chinese_chars</c>).</param>
/// <param name="CleanText">Drop NUL, U+FFFD and control characters and turn every whitespace character into a space.</param>
public sealed record BertNormalizerOptions(bool Lowercase = true, bool? StripAccents = null, bool HandleChineseChars = true, bool CleanText = true)
{
    /// <summary>Whether accents are stripped once <see cref="StripAccents"/> is resolved.</summary>
    public bool StripsAccents => StripAccents ?? Lowercase;
}

/// <summary>A run of normalized text with, for each of its UTF-16 chars, the range of the original text it came from.</summary>
internal sealed class NormalizedText
{
    public StringBuilder Text { get; } = new();

    public List<int> Starts { get; } = [];

    public List<int> Ends { get; } = [];

    public void Append(string value, int start, int end)
    {
        foreach (char c in value)
        {
            Append(c, start, end);
        }
    }

    public void Append(char c, int start, int end)
    {
        Text.Append(c);
        Starts.Add(start);
        Ends.Add(end);
    }
}

/// <summary>BERT's normalization and pre-tokenization (Hugging Face's <c>BertNormalizer</c> and <c>BertPreTokenizer</c>), keeping offsets.</summary>
internal static class BertPreTokenizer
{
    /// <summary>Normalizes <paramref name="text"/>[start..end), rune by rune, in BERT's order: clean, space CJK, strip accents, lowercase.</summary>
    public static NormalizedText Normalize(string text, int start, int end, BertNormalizerOptions options)
    {
        var output = new NormalizedText();
        bool strip = options.StripsAccents;
        for (int i = start; i < end;)
        {
            Rune.DecodeFromUtf16(text.AsSpan(i, end - i), out Rune rune, out int length);
            int runeEnd = i + length;
            if (options.CleanText && (rune.Value == 0 || rune.Value == 0xFFFD || IsControl(rune)))
            {
                i = runeEnd;
                continue;
            }
            if (options.CleanText && IsWhitespace(rune))
            {
                output.Append(' ', i, runeEnd);
                i = runeEnd;
                continue;
            }
            bool chinese = options.HandleChineseChars && IsChineseChar(rune.Value);
            if (chinese)
            {
                output.Append(' ', i, runeEnd);
            }
            string piece = rune.ToString();
            if (strip)
            {
                piece = StripAccents(piece);
            }
            if (options.Lowercase)
            {
                piece = Lowercase(piece);
            }
            output.Append(piece, i, runeEnd);
            if (chinese)
            {
                output.Append(' ', i, runeEnd);
            }
            i = runeEnd;
        }
        return output;
    }

    /// <summary>Splits normalized text into words: whitespace separates them and each punctuation character is a word of its own.
    /// Each word is returned as its [start, end) range in <paramref name="text"/>.</summary>
    public static List<(int Start, int End)> Split(ReadOnlySpan<char> text)
    {
        var words = new List<(int, int)>();
        int wordStart = -1;
        for (int i = 0; i < text.Length;)
        {
            Rune.DecodeFromUtf16(text[i..], out Rune rune, out int length);
            bool space = IsWhitespace(rune);
            bool punctuation = !space && IsPunctuation(rune);
            if (space || punctuation)
            {
                if (wordStart >= 0)
                {
                    words.Add((wordStart, i));
                    wordStart = -1;
                }
                if (punctuation)
                {
                    words.Add((i, i + length));
                }
            }
            else if (wordStart < 0)
            {
                wordStart = i;
            }
            i += length;
        }
        if (wordStart >= 0)
        {
            words.Add((wordStart, text.Length));
        }
        return words;
    }

    /// <summary>Control characters as BERT sees them: categories Cc, Cf, Cn, Co and Cs, except tab, newline and carriage return.</summary>
    public static bool IsControl(Rune rune) =>
        rune.Value is not ('\t' or '\n' or '\r')
        && Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned
            or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate;

    /// <summary>Unicode's White_Space property (which holds tab, newline and carriage return).</summary>
    public static bool IsWhitespace(Rune rune) => Rune.IsWhiteSpace(rune);

    /// <summary>ASCII punctuation and symbols (33-47, 58-64, 91-96, 123-126) and Unicode punctuation (P*).</summary>
    public static bool IsPunctuation(Rune rune)
    {
        int c = rune.Value;
        if (c is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126))
        {
            return true;
        }
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>The CJK ideograph blocks of BERT's <c>_is_chinese_char</c> (as Hugging Face's tokenizers spell them).</summary>
    public static bool IsChineseChar(int c) =>
        c is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF) or (>= 0x2A700 and <= 0x2B73F)
            or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B920 and <= 0x2CEAF) or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);

    private static string StripAccents(string piece)
    {
        var decomposed = new StringBuilder(piece.Length * 2);
        foreach (Rune rune in piece.EnumerateRunes())
        {
            Nfd.Decompose(rune, decomposed);
        }
        var kept = new StringBuilder(decomposed.Length);
        foreach (Rune rune in decomposed.ToString().EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark)
            {
                kept.Append(rune.ToString());
            }
        }
        return kept.ToString();
    }

    /// <summary>Full lowercase mapping per character, as Rust's <c>char::to_lowercase</c> (U+0130 becomes "i" and a combining dot).</summary>
    private static string Lowercase(string piece)
    {
        var lower = new StringBuilder(piece.Length);
        foreach (Rune rune in piece.EnumerateRunes())
        {
            if (rune.Value == 0x130)
            {
                lower.Append("i\u0307");
            }
            else
            {
                lower.Append(Rune.ToLowerInvariant(rune).ToString());
            }
        }
        return lower.ToString();
    }
}

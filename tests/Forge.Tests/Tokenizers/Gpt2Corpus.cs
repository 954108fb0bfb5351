using System.Text;

namespace Forge.Tests.Tokenizers;

/// <summary>A deterministic mixed corpus (prose, code, CJK, emoji, combining marks, whitespace runs, numbers, contractions) for comparing with GPT-2's reference encoder.</summary>
internal static class Gpt2Corpus
{
    private static readonly string[] Words =
    [
        "the", "harbor", "lantern", "was", "quietly", "glowing", "while", "seven", "gulls", "argued", "over", "a", "crust",
        "Tokenizer", "BPE", "merges", "vocabulary", "GPU", "tensor", "Gradient", "descent", "HTTP", "JSON", "naïve", "café",
        "über", "São", "Zürich", "résumé", "Ωmega", "straße", "ÆSIR", "fjörd", "ünïcödé", "x", "I", "OK", "iPhone", "eBay",
    ];

    private static readonly string[] Contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'LL", "'D", "'", "''"];

    private static readonly string[] Punctuation = [".", ",", "!", "?", "...", ";", ":", " -", " —", "\"", ")", "(", "?!", "…"];

    private static readonly string[] Exotic =
    [
        "中文字符", "日本語テキスト", "한국어", "Ελληνικά", "русский", "עברית", "العربية", "हिन्दी", "ไทย", "🙂", "😀😀", "👍🏻", "👍🏿", "👩‍👩‍👧",
        "🧑‍🔬", "🏴‍☠️", "🇩🇪", "✌️", "🫶🏼", "e\u0301", "o\u0308\u0304", "a\u0300\u0301\u0302", "𝐀𝐁", "𝒳", "𐌰𐌱", "𠀀𠀁", "𝟙𝟚", "½", "²", "Ⅻ",
        "٣٤", "①②", "\u00a0", "\u3000", "\u2003", "™", "©", "€100", "¥50", "£3", "∞", "≠", "→", "★", "♪", "0x1F", "3.14159", "1e-9", "1,000,000",
    ];

    private static readonly string[] Code =
    [
        "return x;", "if (a < b) {", "}", "else:", "def f(x):", "int[] ids = new int[n];", "foo.bar(baz, 42)", "# comment", "// comment",
        "x += 1", "yield item", "await Task.Delay(10);", "let s = `template ${x}`;", "SELECT * FROM t;", "<div class=\"a\">", "</div>",
        "print(f\"{x!r:>10}\")", "arr[i][j] = arr[j][i]", "lambda k: k ** 2", "#include <stdio.h>", "fn main() -> Result<(), E> {",
    ];

    private static readonly string[] Indents = ["", "\t", "\t\t", "    ", "        ", "  \t", "\t    "];

    private static readonly string[] LineEnds = ["\n", "\n", "\n", "\n\n", " \n", "  \n", "\t\n", "\r\n", "\n\n\n", "   \n\n"];

    /// <summary>The committed hand-written corpus followed by generated lines: about 30 KB of UTF-8.</summary>
    public static string Build()
    {
        var text = new StringBuilder(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "tokenizers", "gpt2_corpus.txt")));
        var random = new Random(20240611);
        while (Encoding.UTF8.GetByteCount(text.ToString()) < 30_000)
        {
            switch (random.Next(4))
            {
                case 0:
                    AppendProse(text, random);
                    break;
                case 1:
                    text.Append(Pick(random, Indents));
                    for (int i = random.Next(1, 4); i > 0; i--)
                    {
                        text.Append(Pick(random, Code)).Append(random.Next(4) == 0 ? "  " : " ");
                    }
                    break;
                case 2:
                    for (int i = random.Next(2, 8); i > 0; i--)
                    {
                        text.Append(Pick(random, Exotic)).Append(random.Next(3) == 0 ? Pick(random, Words) : random.Next(2) == 0 ? " " : "");
                    }
                    break;
                default:
                    text.Append(new string(' ', random.Next(0, 6))).Append(random.Next(1000)).Append(new string(' ', random.Next(0, 3)))
                        .Append(Pick(random, Words)).Append(new string('\t', random.Next(0, 3)));
                    break;
            }
            text.Append(Pick(random, LineEnds));
        }
        return text.ToString();
    }

    private static void AppendProse(StringBuilder text, Random random)
    {
        for (int i = random.Next(3, 15); i > 0; i--)
        {
            string word = Pick(random, Words);
            text.Append(random.Next(5) switch
            {
                0 => word.ToUpperInvariant(),
                1 => char.ToUpperInvariant(word[0]) + word[1..],
                _ => word,
            });
            if (random.Next(5) == 0)
            {
                text.Append(Pick(random, Contractions));
            }
            if (random.Next(6) == 0)
            {
                text.Append(Pick(random, Punctuation));
            }
            text.Append(random.Next(10) == 0 ? "  " : " ");
        }
    }

    private static string Pick(Random random, string[] items) => items[random.Next(items.Length)];
}

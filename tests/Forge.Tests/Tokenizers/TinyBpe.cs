using System.Text.Json;
using Forge.Tokenizers;

namespace Forge.Tests.Tokenizers;

/// <summary>A small byte-level BPE model: the 256 byte symbols (ids in byte order) plus a few merges that spell "hello".</summary>
internal static class TinyBpe
{
    public static readonly (string, string)[] Merges = [("l", "l"), ("h", "e"), ("he", "ll"), ("hell", "o")];

    public static Dictionary<string, int> Vocabulary()
    {
        var vocab = new Dictionary<string, int>();
        for (int b = 0; b < 256; b++)
        {
            vocab[ByteLevel.ByteToChar((byte)b).ToString()] = b;
        }
        vocab["ll"] = 256;
        vocab["he"] = 257;
        vocab["hell"] = 258;
        vocab["hello"] = 259;
        return vocab;
    }

    /// <summary>A Hugging Face tokenizer.json for the model, with merges as "a b" strings or ["a", "b"] pairs.</summary>
    public static string TokenizerJson(bool pairMerges, string addedTokens = "[]", string preTokenizer = """{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}""", string modelType = "BPE")
    {
        string merges = JsonSerializer.Serialize(pairMerges
            ? Merges.Select(m => (object)new[] { m.Item1, m.Item2 }).ToArray()
            : Merges.Select(m => (object)$"{m.Item1} {m.Item2}").ToArray());
        return $$"""
            {
              "version": "1.0",
              "added_tokens": {{addedTokens}},
              "normalizer": null,
              "pre_tokenizer": {{preTokenizer}},
              "post_processor": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
              "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
              "model": {"type": "{{modelType}}", "dropout": null, "unk_token": null, "continuing_subword_prefix": "", "end_of_word_suffix": "",
                        "fuse_unk": false, "byte_fallback": false, "vocab": {{JsonSerializer.Serialize(Vocabulary())}}, "merges": {{merges}}}
            }
            """;
    }
}

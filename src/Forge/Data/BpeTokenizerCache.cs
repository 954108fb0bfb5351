using Forge.Serialization;
using Forge.Tokenizers;

namespace Forge.Data;

/// <summary>Trains a byte-level BPE tokenizer on a corpus once and keeps it in a directory (Hugging Face layout: vocab.json, merges.txt, ...).</summary>
public static class BpeTokenizerCache
{
    /// <summary>The special token every cached tokenizer has, at id 0.</summary>
    public const string EndOfText = "<|endoftext|>";

    /// <summary>
    /// Loads the tokenizer saved in <paramref name="directory"/> when it holds vocab.json and merges.txt; otherwise trains one with
    /// <see cref="BpeTrainer"/> on <paramref name="texts"/> (vocabulary of <paramref name="vocabSize"/> ids, <c>&lt;|endoftext|&gt;</c>
    /// as its special token), saves it there atomically (into a sibling temporary directory that is then renamed) and returns it.
    /// A directory that exists is reused as it is, whatever vocabulary size it was trained with: name directories by size.
    /// </summary>
    public static ByteLevelBpeTokenizer LoadOrTrain(string directory, Func<IEnumerable<string>> texts, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(texts);
        string target = Path.GetFullPath(directory);
        if (IsComplete(target)) return Load(target);

        ByteLevelBpeTokenizer trained = new BpeTrainer().Train(texts(), vocabSize, specialTokens: [EndOfText]);
        string temporary = target + ".tmp-" + AtomicFile.RandomSuffix();
        try
        {
            trained.Save(temporary);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            Directory.Move(temporary, target);
        }
        catch (IOException) when (IsComplete(target))
        {
            // Another process saved the same tokenizer first; use its copy so every run sees one vocabulary.
            Directory.Delete(temporary, recursive: true);
            return Load(target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
            throw new ForgeException($"Cannot save the trained tokenizer to '{target}': {e.Message}", e);
        }
        return trained;
    }

    private static bool IsComplete(string directory) =>
        File.Exists(Path.Combine(directory, "vocab.json")) && File.Exists(Path.Combine(directory, "merges.txt"));

    private static ByteLevelBpeTokenizer Load(string directory) =>
        ByteLevelBpeTokenizer.FromFiles(Path.Combine(directory, "vocab.json"), Path.Combine(directory, "merges.txt"));
}

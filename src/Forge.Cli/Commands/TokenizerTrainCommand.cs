using System.CommandLine;
using Forge.Data;
using Forge.Tokenizers;

namespace Forge.Cli.Commands;

/// <summary><c>forge tokenizer train</c>: learns a byte-level BPE vocabulary from text files and saves it in Hugging Face's layout.</summary>
internal sealed class TokenizerTrainCommand : CliCommand
{
    private readonly Option<FileInfo[]> data = new("--data")
    {
        Description = "UTF-8 text files to learn from.",
        Required = true,
        AllowMultipleArgumentsPerToken = true,
    };

    private readonly Option<int> vocabSize = new("--vocab-size") { Description = "Vocabulary size to reach, special tokens and the 256 byte symbols included.", Required = true };
    private readonly Option<DirectoryInfo> output = new("--out") { Description = "Directory to write vocab.json, merges.txt and tokenizer.json to.", Required = true };
    private readonly Option<int> minFrequency = new("--min-frequency") { Description = "Fewest occurrences a pair needs to be merged.", DefaultValueFactory = _ => 2 };

    private readonly Option<string[]> specialTokens = new("--special-tokens")
    {
        Description = "Special tokens, given the first ids.",
        DefaultValueFactory = _ => ["<|endoftext|>"],
        AllowMultipleArgumentsPerToken = true,
    };

    public TokenizerTrainCommand() : base("tokenizer train", "Learn a byte-level BPE vocabulary from text files.")
    {
        vocabSize.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 257) r.AddError("--vocab-size must be at least 257 (the 256 byte symbols and a special token).");
        });
        minFrequency.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1) r.AddError("--min-frequency must be at least 1.");
        });
    }

    protected override IEnumerable<Option> Options => [data, vocabSize, output, minFrequency, specialTokens];

    protected override int Execute(CommandContext context)
    {
        string[] texts = [.. context.Parse.GetRequiredValue(data).Select(f => TextSource.ReadTextFile(f.FullName))];
        ByteLevelBpeTokenizer tokenizer = new BpeTrainer().Train(
            texts, context.Parse.GetRequiredValue(vocabSize), context.Parse.GetValue(minFrequency), context.Parse.GetValue(specialTokens));
        DirectoryInfo directory = context.Parse.GetRequiredValue(output);
        tokenizer.Save(directory.FullName);
        context.Output.WriteLine($"Trained a vocabulary of {tokenizer.VocabularySize} tokens ({tokenizer.Merges.Count} merges) into {directory.FullName}");
        return ForgeCli.Success;
    }
}

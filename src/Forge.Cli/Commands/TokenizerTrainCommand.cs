using System.CommandLine;
using Forge.Data;
using Forge.Tokenizers;

namespace Forge.Cli.Commands;

/// <summary><c>forge tokenizer train</c>: learns a byte-level BPE or a WordPiece (BERT) vocabulary from text files and saves it in Hugging Face's layout.</summary>
internal sealed class TokenizerTrainCommand : CliCommand
{
    private readonly Option<FileInfo[]> data = new("--data")
    {
        Description = "UTF-8 text files to learn from.",
        Required = true,
        AllowMultipleArgumentsPerToken = true,
    };

    private readonly Option<string> type = new("--type")
    {
        Description = "bpe (GPT-2's byte-level BPE) or wordpiece (BERT's WordPiece, uncased).",
        DefaultValueFactory = _ => "bpe",
    };

    private readonly Option<int> vocabSize = new("--vocab-size") { Description = "Vocabulary size to reach, special tokens and the alphabet (for bpe the 256 byte symbols) included.", Required = true };
    private readonly Option<DirectoryInfo> output = new("--out") { Description = "Directory to write the tokenizer to (bpe: vocab.json, merges.txt, tokenizer.json; wordpiece: vocab.txt, tokenizer.json).", Required = true };
    private readonly Option<int> minFrequency = new("--min-frequency") { Description = "Fewest occurrences a pair needs to be merged.", DefaultValueFactory = _ => 2 };

    private readonly Option<string[]> specialTokens = new("--special-tokens")
    {
        Description = "Special tokens, given the first ids (default: <|endoftext|> for bpe; [PAD] [UNK] [CLS] [SEP] [MASK] for wordpiece).",
        AllowMultipleArgumentsPerToken = true,
    };

    public TokenizerTrainCommand() : base("tokenizer train", "Learn a byte-level BPE or WordPiece vocabulary from text files.")
    {
        type.AcceptOnlyFromAmong("bpe", "wordpiece");
        vocabSize.Validators.Add(r =>
        {
            bool wordPiece = r.GetResult(type)?.Tokens is [.., { Value: "wordpiece" }];
            if (!wordPiece && r.GetValueOrDefault<int>() < 257) r.AddError("--vocab-size must be at least 257 (the 256 byte symbols and a special token).");
            if (r.GetValueOrDefault<int>() < 1) r.AddError("--vocab-size must be positive.");
        });
        minFrequency.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1) r.AddError("--min-frequency must be at least 1.");
        });
    }

    protected override IEnumerable<Option> Options => [data, type, vocabSize, output, minFrequency, specialTokens];

    protected override int Execute(CommandContext context)
    {
        string[] texts = [.. context.Parse.GetRequiredValue(data).Select(f => TextSource.ReadTextFile(f.FullName))];
        string[]? specials = context.Parse.GetValue(specialTokens) is { Length: > 0 } given ? given : null;
        DirectoryInfo directory = context.Parse.GetRequiredValue(output);
        if (context.Parse.GetValue(type) == "wordpiece")
        {
            WordPieceTokenizer wordPiece = new WordPieceTrainer
            {
                VocabSize = context.Parse.GetRequiredValue(vocabSize),
                MinFrequency = context.Parse.GetValue(minFrequency),
                SpecialTokens = specials ?? new WordPieceTrainer().SpecialTokens,
            }.Train(texts);
            wordPiece.Save(directory.FullName);
            context.Output.WriteLine($"Trained a WordPiece vocabulary of {wordPiece.VocabularySize} tokens into {directory.FullName}");
            return ForgeCli.Success;
        }
        ByteLevelBpeTokenizer tokenizer = new BpeTrainer().Train(
            texts, context.Parse.GetRequiredValue(vocabSize), context.Parse.GetValue(minFrequency), specials ?? ["<|endoftext|>"]);
        tokenizer.Save(directory.FullName);
        context.Output.WriteLine($"Trained a vocabulary of {tokenizer.VocabularySize} tokens ({tokenizer.Merges.Count} merges) into {directory.FullName}");
        return ForgeCli.Success;
    }
}

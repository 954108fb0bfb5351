using System.CommandLine;
using System.Globalization;
using Forge.Data;
using Forge.Tokenizers;

namespace Forge.Cli.Commands;

/// <summary><c>forge tokenize</c>: the token ids of a text file, as Hugging Face's <c>tokenizer(text)["input_ids"]</c> gives them.</summary>
internal sealed class TokenizeCommand : CliCommand
{
    private readonly Option<DirectoryInfo> tokenizer = new("--tokenizer")
    {
        Description = "Tokenizer directory: tokenizer.json, vocab.json + merges.txt, or encoder.json + vocab.bpe (a model directory works).",
        Required = true,
    };

    private readonly Option<FileInfo> textFile = new("--text-file") { Description = "UTF-8 text to tokenize.", Required = true };
    private readonly Option<bool> json = new("--json") { Description = "Print the ids as a JSON array." };

    public TokenizeCommand() : base("tokenize", "Print the token ids of a text file.") { }

    protected override IEnumerable<Option> Options => [tokenizer, textFile, json];

    protected override int Execute(CommandContext context)
    {
        DirectoryInfo directory = context.Parse.GetRequiredValue(tokenizer);
        if (!directory.Exists) throw new ForgeException($"Tokenizer directory '{directory.FullName}' does not exist.");
        ByteLevelBpeTokenizer bpe = ByteLevelBpeTokenizer.FromDirectory(directory.FullName);
        int[] ids = bpe.Encode(TextSource.ReadTextFile(context.Parse.GetRequiredValue(textFile).FullName));
        string list = string.Join(context.Parse.GetValue(json) ? "," : " ", ids.Select(i => i.ToString(CultureInfo.InvariantCulture)));
        context.Output.WriteLine(context.Parse.GetValue(json) ? $"[{list}]" : list);
        return ForgeCli.Success;
    }
}

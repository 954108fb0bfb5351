using System.CommandLine;
using System.Globalization;
using Forge.Data;
using Forge.Tokenizers;

namespace Forge.Cli.Commands;

/// <summary><c>forge tokenize</c>: the token ids of a text, as Hugging Face's <c>tokenizer(text)["input_ids"]</c> gives them (for BERT with
/// <c>[CLS]</c> and <c>[SEP]</c>).</summary>
internal sealed class TokenizeCommand : CliCommand
{
    private readonly Option<DirectoryInfo> tokenizer = new("--tokenizer")
    {
        Description = "Tokenizer directory: tokenizer.json (BPE or WordPiece), vocab.txt (BERT), vocab.json + merges.txt, or encoder.json + vocab.bpe (a model directory works).",
        Required = true,
    };

    private readonly Option<FileInfo> textFile = new("--text-file") { Description = "UTF-8 text file to tokenize." };
    private readonly Option<string> text = new("--text") { Description = "Text to tokenize (instead of --text-file)." };
    private readonly Option<bool> json = new("--json") { Description = "Print the ids as a JSON array." };

    public TokenizeCommand() : base("tokenize", "Print the token ids of a text.") { }

    protected override IEnumerable<Option> Options => [tokenizer, textFile, text, json];

    protected override int Execute(CommandContext context)
    {
        if ((context.Parse.GetResult(textFile) is null) == (context.Parse.GetResult(text) is null))
            throw new ForgeException("Give exactly one of --text-file and --text.");
        DirectoryInfo directory = context.Parse.GetRequiredValue(tokenizer);
        if (!directory.Exists) throw new ForgeException($"Tokenizer directory '{directory.FullName}' does not exist.");
        ITokenizer loaded = AutoTokenizer.FromDirectory(directory.FullName);
        string input = context.Parse.GetValue(text) ?? TextSource.ReadTextFile(context.Parse.GetRequiredValue(textFile).FullName);
        IReadOnlyList<int> ids = loaded.Encode(input);
        string list = string.Join(context.Parse.GetValue(json) ? "," : " ", ids.Select(i => i.ToString(CultureInfo.InvariantCulture)));
        context.Output.WriteLine(context.Parse.GetValue(json) ? $"[{list}]" : list);
        return ForgeCli.Success;
    }
}

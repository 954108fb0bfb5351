using System.CommandLine;
using Forge.Generation;
using Forge.Models.Gpt2;
using Forge.Tokenizers;

namespace Forge.Cli.Commands;

/// <summary><c>forge generate</c>: continues a prompt with a trained model, streaming the text as it is generated.</summary>
internal sealed class GenerateCommand : CliCommand
{
    private readonly Option<DirectoryInfo> model = new("--model") { Description = "Model directory (config.json, model.safetensors and tokenizer files).", Required = true };
    private readonly Option<string> prompt = new("--prompt") { Description = "The text to continue (empty: start from <|endoftext|>).", DefaultValueFactory = _ => "" };
    private readonly Option<DecodingStrategy> strategy = new("--strategy") { Description = "greedy, beam or sample.", DefaultValueFactory = _ => DecodingStrategy.Sample };
    private readonly Option<int> maxNewTokens = new("--max-new-tokens") { Description = "The most tokens to generate.", DefaultValueFactory = _ => 100 };
    private readonly Option<double> temperature = new("--temperature") { Description = "Sampling temperature.", DefaultValueFactory = _ => 0.8 };
    private readonly Option<int> topK = new("--top-k") { Description = "Sample among the k most likely tokens (0: all).", DefaultValueFactory = _ => 40 };
    private readonly Option<double> topP = new("--top-p") { Description = "Sample among the most likely tokens covering this probability.", DefaultValueFactory = _ => 1.0 };
    private readonly Option<int> numBeams = new("--num-beams") { Description = "Beam search width.", DefaultValueFactory = _ => 4 };
    private readonly Option<double> lengthPenalty = new("--length-penalty") { Description = "Beam search: exponent of the length normalization.", DefaultValueFactory = _ => 1.0 };
    private readonly Option<bool> earlyStopping = new("--early-stopping") { Description = "Beam search: stop when num-beams hypotheses are finished." };
    private readonly Option<int> noRepeatNgram = new("--no-repeat-ngram-size") { Description = "Never repeat an n-gram of this size (0: off).", DefaultValueFactory = _ => 0 };
    private readonly Option<double> repetitionPenalty = new("--repetition-penalty") { Description = "Penalty for tokens already present (1: off).", DefaultValueFactory = _ => 1.0 };
    private readonly Option<ulong> seed = new("--seed") { Description = "Seed of the sampling.", DefaultValueFactory = _ => 0 };
    private readonly Option<string[]> stop = new("--stop") { Description = "Stop when the output contains one of these strings (it is cut before it).", AllowMultipleArgumentsPerToken = true };

    public GenerateCommand() : base("generate", "Continue a prompt with a trained model (greedy, beam search or sampling).") { }

    protected override IEnumerable<Option> Options =>
        [model, prompt, strategy, maxNewTokens, temperature, topK, topP, numBeams, lengthPenalty, earlyStopping, noRepeatNgram, repetitionPenalty, seed, stop];

    protected override int Execute(CommandContext context)
    {
        ParseResult p = context.Parse;
        string directory = p.GetRequiredValue(model).FullName;
        var lm = Gpt2LanguageModel.FromPretrained(directory);
        var tokenizer = ByteLevelBpeTokenizer.FromDirectory(directory);
        string text = p.GetValue(prompt) ?? "";
        int[] promptIds = text.Length > 0 ? tokenizer.Encode(text) : [lm.Config.BosTokenId];
        var config = new GenerationConfig
        {
            Strategy = p.GetValue(strategy),
            MaxNewTokens = p.GetValue(maxNewTokens),
            EosTokenId = tokenizer.EndOfTextId,
            Temperature = p.GetValue(temperature),
            TopK = p.GetValue(topK),
            TopP = p.GetValue(topP),
            RepetitionPenalty = p.GetValue(repetitionPenalty),
            NoRepeatNgramSize = p.GetValue(noRepeatNgram),
            NumBeams = p.GetValue(numBeams),
            LengthPenalty = p.GetValue(lengthPenalty),
            EarlyStopping = p.GetValue(earlyStopping),
            Seed = p.GetValue(seed),
        };
        config.Validate();
        var stream = new TextStream(tokenizer, p.GetValue(stop) ?? [], context.Output);
        context.Output.Write(text);
        TextGeneration.Generate(lm, promptIds, config, stream.Add);
        stream.Finish();
        return ForgeCli.Success;
    }

    /// <summary>Writes generated text as it grows, holding back incomplete characters and what may be the start of a stop string.</summary>
    private sealed class TextStream(ByteLevelBpeTokenizer tokenizer, string[] stops, TextWriter output)
    {
        private readonly List<int> tokens = [];
        private int written;
        private bool stopped;

        public bool Add(int token)
        {
            tokens.Add(token);
            string text = tokenizer.Decode(tokens, skipSpecialTokens: true);
            int cut = stops.Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
            if (cut >= 0)
            {
                Write(text[..cut]);
                stopped = true;
                return false;
            }
            int safe = text.Length;
            while (safe > 0 && text[safe - 1] == '\uFFFD') safe--;
            foreach (string s in stops)
            {
                for (int k = Math.Min(s.Length - 1, text.Length); k > 0; k--)
                {
                    if (text.EndsWith(s[..k], StringComparison.Ordinal))
                    {
                        safe = Math.Min(safe, text.Length - k);
                        break;
                    }
                }
            }
            Write(text[..Math.Max(safe, written)]);
            return true;
        }

        public void Finish()
        {
            if (!stopped) Write(tokenizer.Decode(tokens, skipSpecialTokens: true));
            output.WriteLine();
        }

        private void Write(string text)
        {
            if (text.Length <= written) return;
            output.Write(text[written..]);
            output.Flush();
            written = text.Length;
        }
    }
}

using System.Text;
using System.Text.Json.Nodes;
using Forge.Cli;
using Forge.Models.Bert;
using Forge.Serialization;
using Forge.Tensors;
using Forge.Tokenizers;
using Xunit;

namespace Forge.Tests.Cli;

public sealed class FinetuneCommandTests : IDisposable
{
    private static readonly string[] Words =
        ["the", "city", "school", "water", "london", "music", "game", "house", "people", "world", "album", "station", "church", "shop",
         "paris", "club", "season", "family", "team", "river"];

    private readonly string root = Directory.CreateTempSubdirectory("forge-finetune-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    internal static string SmallVocabulary => Path.Combine(AppContext.BaseDirectory, "fixtures", "bert", "hf", "small-vocab");

    /// <summary>A random-init BERT masked-LM directory (2 layers, 32 wide) with the small test vocabulary.</summary>
    internal static string TinyBert(string directory, ulong seed = 3)
    {
        var tokenizer = WordPieceTokenizer.FromDirectory(SmallVocabulary);
        var config = new BertConfig
        {
            VocabSize = tokenizer.VocabularySize, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 64,
            MaxPositionEmbeddings = 64, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0,
        };
        new BertForMaskedLM(config, seed).SavePretrained(directory);
        tokenizer.Save(directory);
        return directory;
    }

    /// <summary>Texts of random words; the label is "movie" when the word movie occurs, "other" when it does not.</summary>
    private string KeywordCsv(string name, int count, int seed)
    {
        var random = new Random(seed);
        var csv = new StringBuilder("sentence,topic\n");
        for (int i = 0; i < count; i++)
        {
            var words = Enumerable.Range(0, random.Next(3, 8)).Select(_ => Words[random.Next(Words.Length)]).ToList();
            bool keyword = i % 2 == 0;
            if (keyword) words.Insert(random.Next(words.Count + 1), "movie");
            csv.Append(string.Join(' ', words)).Append(',').Append(keyword ? "movie" : "other").Append('\n');
        }
        string path = Path.Combine(root, name);
        File.WriteAllText(path, csv.ToString());
        return path;
    }

    internal static (int Code, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = ForgeCli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string[] ClassifyArguments(string model, string data, string output, int epochs, params string[] extra) =>
    [
        "finetune", "classify", "--model", model, "--data", data, "--out", output, "--text-column", "sentence", "--label-column", "topic",
        "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture), "--batch", "16", "--lr", "3e-3", "--seed", "5", .. extra,
    ];

    [Fact]
    public void FineTuningATinyBertLearnsAKeywordTaskAndTheFinalModelClassifies()
    {
        string model = TinyBert(Path.Combine(root, "tiny"));
        string data = KeywordCsv("keyword.csv", 240, 1);
        string output = Path.Combine(root, "run");
        var (code, stdout, error) = Run(ClassifyArguments(model, data, output, 6));
        Assert.True(code == ForgeCli.Success, error + stdout);
        Assert.Contains("Newly initialized", stdout, StringComparison.Ordinal);
        Assert.Contains("classifier.weight", stdout, StringComparison.Ordinal);
        Assert.Contains("macro avg", stdout, StringComparison.Ordinal);

        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "test_metrics.json")))!;
        Assert.True((double)metrics["accuracy"]! >= 0.95, stdout);
        Assert.Equal(36, (int)metrics["examples"]!);

        string final = Path.Combine(output, "final");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(final, "config.json")))!;
        Assert.Equal("BertForSequenceClassification", (string)config["architectures"]![0]!);
        Assert.Equal("movie", (string)config["id2label"]!["0"]!);
        Assert.Equal(1, (int)config["label2id"]!["other"]!);
        Assert.True(File.Exists(Path.Combine(final, "tokenizer.json")));

        (code, stdout, error) = Run("classify", "--model", final, "--text", "the movie at the club", "--json");
        Assert.True(code == ForgeCli.Success, error);
        Assert.Equal("movie", (string)JsonNode.Parse(stdout)!["label"]!);
        (code, stdout, error) = Run("classify", "--model", final, "--text", "the water at the club", "--json");
        Assert.True(code == ForgeCli.Success, error);
        Assert.Equal("other", (string)JsonNode.Parse(stdout)!["label"]!);
    }

    [Fact]
    public void SplitsAreStratifiedAndTheSameForTheSameSeed()
    {
        string model = TinyBert(Path.Combine(root, "tiny"));
        string data = KeywordCsv("keyword.csv", 120, 2);
        string first = Path.Combine(root, "first");
        string second = Path.Combine(root, "second");
        foreach (string output in new[] { first, second })
        {
            var (code, stdout, error) = Run(ClassifyArguments(model, data, output, 1));
            Assert.True(code == ForgeCli.Success, error + stdout);
        }
        foreach (var (part, count) in new[] { ("train", 84), ("validation", 18), ("test", 18) })
        {
            string[] lines = File.ReadAllLines(Path.Combine(first, "data", part + ".csv"));
            Assert.Equal(File.ReadAllLines(Path.Combine(second, "data", part + ".csv")), lines);
            Assert.Equal("text,label", lines[0]);
            Assert.Equal(count, lines.Length - 1);
            int movies = lines.Skip(1).Count(l => l.EndsWith(",movie", StringComparison.Ordinal));
            Assert.Equal(count / 2, movies);
        }
    }

    [Theory]
    [InlineData("--freeze-embeddings")]
    [InlineData("--unfreeze-last")]
    public void FrozenWeightsStayBitIdentical(string option)
    {
        string model = TinyBert(Path.Combine(root, "tiny"));
        string data = KeywordCsv("keyword.csv", 60, 3);
        string output = Path.Combine(root, "run");
        string[] extra = option == "--unfreeze-last" ? [option, "1"] : [option];
        var (code, stdout, error) = Run(ClassifyArguments(model, data, output, 1, extra));
        Assert.True(code == ForgeCli.Success, error + stdout);
        using var before = SafeTensors.Open(Path.Combine(model, "model.safetensors"));
        using var after = SafeTensors.Open(Path.Combine(output, "final", "model.safetensors"));
        int same = 0, changed = 0;
        foreach (string name in before.Names.Where(n => n.StartsWith("bert.", StringComparison.Ordinal)))
        {
            bool frozen = name.StartsWith("bert.embeddings.", StringComparison.Ordinal)
                || (option == "--unfreeze-last" && name.StartsWith("bert.encoder.layer.0.", StringComparison.Ordinal));
            bool equal = before.Get(name).ToArray<float>().SequenceEqual(after.Get(name).ToArray<float>());
            Assert.True(frozen == equal, $"{name}: frozen {frozen}, unchanged {equal}");
            if (equal) same++;
            else changed++;
        }
        Assert.True(same > 0 && changed > 0);
    }

    [Fact]
    public void FromScratchIgnoresTheWeightsAndKeepsTheArchitecture()
    {
        string model = TinyBert(Path.Combine(root, "tiny"));
        string data = KeywordCsv("keyword.csv", 60, 3);
        string output = Path.Combine(root, "scratch");
        var (code, stdout, error) = Run(ClassifyArguments(model, data, output, 1, "--from-scratch", "--freeze-embeddings"));
        Assert.True(code == ForgeCli.Success, error + stdout);
        Assert.Contains("Random initial weights (--from-scratch, seed 5)", stdout, StringComparison.Ordinal);
        using var source = SafeTensors.Open(Path.Combine(model, "model.safetensors"));
        using var trained = SafeTensors.Open(Path.Combine(output, "final", "model.safetensors"));
        const string embeddings = "bert.embeddings.word_embeddings.weight";
        Assert.Equal(source.Get(embeddings).Shape, trained.Get(embeddings).Shape);
        Assert.False(source.Get(embeddings).ToArray<float>().SequenceEqual(trained.Get(embeddings).ToArray<float>()));
    }

    [Fact]
    public void AMissingColumnIsOneClearLine()
    {
        string model = TinyBert(Path.Combine(root, "tiny"));
        string data = KeywordCsv("keyword.csv", 20, 4);
        string[] args = ClassifyArguments(model, data, Path.Combine(root, "run"), 1);
        args[Array.IndexOf(args, "--label-column") + 1] = "category";
        var (code, _, error) = Run(args);
        Assert.Equal(ForgeCli.Failure, code);
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("no label column 'category'", line, StringComparison.Ordinal);
        Assert.Contains("[sentence, topic]", line, StringComparison.Ordinal);
    }

    /// <summary>Sentences from templates with person and location names (some split into several pieces, one of two words), in CoNLL format.</summary>
    private string SyntheticConll(string name, int count, int seed)
    {
        string[] people = ["john", "mary", "peter", "anna", "george"];
        string[][] places = [["london"], ["paris"], ["berlin"], ["france"], ["new", "york"]];
        string[] templates = ["P went to L .", "P lives in L", "in L , P bought milk", "the school in L was great", "P and P ran to the store"];
        var random = new Random(seed);
        var text = new StringBuilder("-DOCSTART- O\n\n");
        for (int i = 0; i < count; i++)
        {
            foreach (string slot in templates[random.Next(templates.Length)].Split(' '))
            {
                if (slot == "P")
                {
                    text.Append(people[random.Next(people.Length)]).Append(" B-PER\n");
                }
                else if (slot == "L")
                {
                    string[] place = places[random.Next(places.Length)];
                    for (int w = 0; w < place.Length; w++) text.Append(place[w]).Append(w == 0 ? " B-LOC\n" : " I-LOC\n");
                }
                else
                {
                    text.Append(slot).Append(" O\n");
                }
            }
            text.Append('\n');
        }
        string path = Path.Combine(root, name);
        File.WriteAllText(path, text.ToString());
        return path;
    }

    [Fact]
    public void FineTuningATinyBertForNamedEntitiesReachesAHighEntityF1()
    {
        string model = TinyBert(Path.Combine(root, "tiny"));
        string output = Path.Combine(root, "ner");
        var (code, stdout, error) = Run("finetune", "ner", "--model", model, "--data", SyntheticConll("train.conll", 160, 1),
            "--dev", SyntheticConll("dev.conll", 30, 2), "--test", SyntheticConll("test.conll", 40, 3), "--out", output,
            "--epochs", "8", "--batch", "16", "--lr", "3e-3", "--seed", "5");
        Assert.True(code == ForgeCli.Success, error + stdout);
        Assert.Contains("classifier.weight", stdout, StringComparison.Ordinal);
        Assert.Contains("micro avg", stdout, StringComparison.Ordinal);

        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "test_metrics.json")))!;
        Assert.True((double)metrics["f1"]! >= 0.9, stdout);
        Assert.NotNull(metrics["report"]!["PER"]);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "final", "config.json")))!;
        Assert.Equal("BertForTokenClassification", (string)config["architectures"]![0]!);
        Assert.Equal(["O", "B-LOC", "B-PER", "I-LOC"], Enumerable.Range(0, 4).Select(i => (string)config["id2label"]![i.ToString(System.Globalization.CultureInfo.InvariantCulture)]!));
        Assert.True(File.Exists(Path.Combine(output, "final", "tokenizer.json")));
    }
}

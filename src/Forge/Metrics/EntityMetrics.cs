namespace Forge.Metrics;

/// <summary>A named entity found in a tag sequence: its type and the half-open token range [<c>Start</c>, <c>End</c>).</summary>
public readonly record struct NamedEntity(string Type, int Start, int End);

/// <summary>
/// Entity-level metrics for named-entity recognition, as seqeval computes them in its default mode. Entities are read from
/// BIO (IOB2) tags, and also IOBES, with the conlleval chunk rules: a chunk ends before a B, S or O tag, after an E or S tag, and
/// where the type changes; a chunk starts at a B or S tag, at an I or E tag that follows O, E or S, and where the type changes
/// (so an I- tag after O or after another type opens a new entity). An entity counts as found only when its type, start and end
/// all match. Tags are "O", a prefix alone ("B", "I", "E", "S": type "_"), or a prefix, '-' and a type ("B-PER").
/// </summary>
public static class EntityMetrics
{
    private const string NoType = "_";

    /// <summary>The entities of one sentence's tags, in order.</summary>
    public static IReadOnlyList<NamedEntity> ExtractEntities(IReadOnlyList<string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var entities = new List<NamedEntity>();
        char previousPrefix = 'O';
        string previousType = NoType;
        int begin = 0;
        for (int i = 0; i <= tags.Count; i++)
        {
            (char prefix, string type) = i < tags.Count ? Split(tags[i], i) : ('O', NoType);
            if (EndsChunk(previousPrefix, prefix, previousType, type)) entities.Add(new NamedEntity(previousType, begin, i));
            if (StartsChunk(previousPrefix, prefix, previousType, type)) begin = i;
            previousPrefix = prefix;
            previousType = type;
        }
        return entities;
    }

    /// <summary>The fraction of tokens whose predicted tag equals the true tag (seqeval's <c>accuracy_score</c>).</summary>
    public static double TokenAccuracy(IReadOnlyList<IReadOnlyList<string>> yTrue, IReadOnlyList<IReadOnlyList<string>> yPred)
    {
        CheckShapes(yTrue, yPred);
        int tokens = yTrue.Sum(s => s.Count);
        if (tokens == 0) throw new ForgeException("Token accuracy needs at least one token, found none.");
        int correct = yTrue.Zip(yPred).Sum(pair => pair.First.Zip(pair.Second).Count(t => t.First == t.Second));
        return (double)correct / tokens;
    }

    /// <summary>
    /// Entity-level precision, recall and F1 per entity type (types in ordinal order) and their micro, macro and weighted averages,
    /// over sentences of true and predicted tags (the same number of sentences, each of the same length).
    /// </summary>
    public static EntityReport Evaluate(IReadOnlyList<IReadOnlyList<string>> yTrue, IReadOnlyList<IReadOnlyList<string>> yPred)
    {
        CheckShapes(yTrue, yPred);
        HashSet<(int Sentence, NamedEntity Entity)> truth = Entities(yTrue), predicted = Entities(yPred);
        string[] types = [.. truth.Concat(predicted).Select(e => e.Entity.Type).Distinct().Order(StringComparer.Ordinal)];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < types.Length; i++) index[types[i]] = i;
        var tally = new Tally(types.Length);
        foreach (var e in truth) tally.Actual[index[e.Entity.Type]]++;
        foreach (var e in predicted)
        {
            int i = index[e.Entity.Type];
            tally.Predicted[i]++;
            if (truth.Contains(e)) tally.TruePositives[i]++;
        }
        return new EntityReport(types, tally.PerClass(1), tally.Averaged(Average.Micro, 1), tally.Averaged(Average.Macro, 1), tally.Averaged(Average.Weighted, 1));
    }

    private static HashSet<(int, NamedEntity)> Entities(IReadOnlyList<IReadOnlyList<string>> sentences) =>
        [.. sentences.SelectMany((tags, s) => ExtractEntities(tags).Select(e => (s, e)))];

    private static void CheckShapes(IReadOnlyList<IReadOnlyList<string>> yTrue, IReadOnlyList<IReadOnlyList<string>> yPred)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(yPred);
        if (yTrue.Count != yPred.Count)
            throw new ForgeException($"Expected as many predicted sentences as true ones, found {yPred.Count} predicted for {yTrue.Count} true.");
        for (int s = 0; s < yTrue.Count; s++)
        {
            if (yTrue[s].Count != yPred[s].Count)
                throw new ForgeException($"Sentence {s}: expected {yTrue[s].Count} predicted tags as in the truth, found {yPred[s].Count}.");
        }
    }

    private static (char Prefix, string Type) Split(string tag, int position)
    {
        ArgumentNullException.ThrowIfNull(tag);
        if (tag == "O") return ('O', NoType);
        bool prefixed = tag.Length > 0 && tag[0] is 'B' or 'I' or 'E' or 'S';
        if (prefixed && tag.Length == 1) return (tag[0], NoType);
        if (prefixed && tag.Length > 2 && tag[1] == '-') return (tag[0], tag[2..]);
        throw new ForgeException($"Tag {position} is '{tag}'; expected 'O' or B-, I-, E-, S- followed by an entity type (as 'B-PER').");
    }

    private static bool EndsChunk(char previousPrefix, char prefix, string previousType, string type) =>
        previousPrefix is 'E' or 'S'
        || (previousPrefix is 'B' or 'I' && prefix is 'B' or 'S' or 'O')
        || (previousPrefix != 'O' && previousType != type);

    private static bool StartsChunk(char previousPrefix, char prefix, string previousType, string type) =>
        prefix is 'B' or 'S'
        || (previousPrefix is 'E' or 'S' or 'O' && prefix is 'E' or 'I')
        || (prefix != 'O' && previousType != type);
}

/// <summary>seqeval's entity-level report: scores per entity type and their micro, macro and weighted averages.</summary>
public sealed class EntityReport
{
    internal EntityReport(IReadOnlyList<string> types, IReadOnlyList<ClassScores> perType, ClassScores micro, ClassScores macro, ClassScores weighted)
    {
        Types = types;
        PerType = perType;
        MicroAverage = micro;
        MacroAverage = macro;
        WeightedAverage = weighted;
    }

    /// <summary>The entity types of the true and predicted tags, in ordinal order.</summary>
    public IReadOnlyList<string> Types { get; }

    /// <summary>The scores of each type, in the order of <see cref="Types"/> (support: the number of true entities of that type).</summary>
    public IReadOnlyList<ClassScores> PerType { get; }

    /// <summary>Scores over all entities: seqeval's default precision, recall and F1.</summary>
    public ClassScores MicroAverage { get; }

    /// <summary>The unweighted mean of the type scores.</summary>
    public ClassScores MacroAverage { get; }

    /// <summary>The mean of the type scores weighted by support.</summary>
    public ClassScores WeightedAverage { get; }

    /// <summary>The report as seqeval's <c>classification_report(digits=...)</c> writes it.</summary>
    public string ToText(int digits = 2)
    {
        var text = new ReportText(Types, digits);
        for (int i = 0; i < Types.Count; i++) text.Row(Types[i], PerType[i]);
        text.Blank();
        text.Row("micro avg", MicroAverage);
        text.Row("macro avg", MacroAverage);
        text.Row("weighted avg", WeightedAverage);
        return text.ToString();
    }

    /// <inheritdoc cref="ToText"/>
    public override string ToString() => ToText();
}

using System.Globalization;

namespace Forge.Metrics;

/// <summary>
/// Classification metrics on label sequences, as scikit-learn computes them: accuracy, confusion matrix, precision, recall and
/// F-beta per class or averaged, and the classification report. Labels are any values with an order (numbers, strings: strings
/// are ordered ordinally, as NumPy sorts them); unless given, the labels are the sorted union of the true and predicted ones.
/// </summary>
public static class Classification
{
    /// <summary>The fraction of positions where the prediction equals the truth.</summary>
    public static double Accuracy<T>(IReadOnlyList<T> yTrue, IReadOnlyList<T> yPred) where T : notnull
    {
        CheckLengths(yTrue, yPred);
        var comparer = EqualityComparer<T>.Default;
        int correct = 0;
        for (int i = 0; i < yTrue.Count; i++)
        {
            if (comparer.Equals(yTrue[i], yPred[i])) correct++;
        }
        return (double)correct / yTrue.Count;
    }

    /// <summary>The sorted distinct labels of <paramref name="yTrue"/> and <paramref name="yPred"/> together.</summary>
    public static IReadOnlyList<T> Labels<T>(IReadOnlyList<T> yTrue, IReadOnlyList<T> yPred) where T : notnull
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(yPred);
        return [.. yTrue.Concat(yPred).Distinct().Order(Order<T>())];
    }

    /// <summary>
    /// The confusion matrix: entry [i, j] counts the examples whose true label is <c>labels[i]</c> and whose predicted label is
    /// <c>labels[j]</c>. Examples whose true or predicted label is not in <paramref name="labels"/> are left out.
    /// </summary>
    public static int[,] ConfusionMatrix<T>(IReadOnlyList<T> yTrue, IReadOnlyList<T> yPred, IReadOnlyList<T>? labels = null) where T : notnull
    {
        CheckLengths(yTrue, yPred);
        labels ??= Labels(yTrue, yPred);
        Dictionary<T, int> index = IndexOf(labels);
        if (!yTrue.Any(index.ContainsKey)) throw new ForgeException($"A confusion matrix needs at least one of the labels [{Join(labels)}] in y_true, found none.");
        var matrix = new int[labels.Count, labels.Count];
        for (int i = 0; i < yTrue.Count; i++)
        {
            if (index.TryGetValue(yTrue[i], out int t) && index.TryGetValue(yPred[i], out int p)) matrix[t, p]++;
        }
        return matrix;
    }

    /// <summary>Precision, recall, F-beta and support of each of <paramref name="labels"/> (by default every label), in that order.</summary>
    public static IReadOnlyList<ClassScores> PerClass<T>(IReadOnlyList<T> yTrue, IReadOnlyList<T> yPred, IReadOnlyList<T>? labels = null, double beta = 1)
        where T : notnull
    {
        Tally.CheckBeta(beta);
        return Count(yTrue, yPred, labels ?? Labels(yTrue, yPred)).PerClass(beta);
    }

    /// <summary>
    /// Precision, recall and F-beta averaged over <paramref name="labels"/> (by default every label); the support is the number of
    /// examples whose true label is one of them.
    /// </summary>
    public static ClassScores Averaged<T>(IReadOnlyList<T> yTrue, IReadOnlyList<T> yPred, Average average, IReadOnlyList<T>? labels = null, double beta = 1)
        where T : notnull
    {
        Tally.CheckBeta(beta);
        return Count(yTrue, yPred, labels ?? Labels(yTrue, yPred)).Averaged(average, beta);
    }

    /// <summary>
    /// Precision, recall and F-beta of <paramref name="positiveLabel"/> in a binary task (scikit-learn's <c>average='binary'</c>).
    /// More than two labels, or two labels of which neither is <paramref name="positiveLabel"/>, is a <see cref="ForgeException"/>.
    /// </summary>
    public static ClassScores Binary<T>(IReadOnlyList<T> yTrue, IReadOnlyList<T> yPred, T positiveLabel, double beta = 1) where T : notnull
    {
        ArgumentNullException.ThrowIfNull(positiveLabel);
        Tally.CheckBeta(beta);
        IReadOnlyList<T> present = Labels(yTrue, yPred);
        if (present.Count > 2)
            throw new ForgeException($"Binary scores need at most two labels, found {present.Count} ([{Join(present)}]); use Averaged with Micro, Macro or Weighted.");
        if (present.Count == 2 && !present.Contains(positiveLabel))
            throw new ForgeException($"The positive label '{Name(positiveLabel)}' is not one of the labels [{Join(present)}].");
        return Count(yTrue, yPred, [positiveLabel]).Class(0, beta);
    }

    /// <summary>
    /// scikit-learn's classification report: per-class scores (named by <paramref name="targetNames"/>, else by the labels), then
    /// accuracy (or the micro average when <paramref name="labels"/> is not the full label set), macro and weighted averages.
    /// </summary>
    public static ClassificationReport Report<T>(IReadOnlyList<T> yTrue, IReadOnlyList<T> yPred, IReadOnlyList<T>? labels = null, IReadOnlyList<string>? targetNames = null)
        where T : notnull
    {
        IReadOnlyList<T> present = Labels(yTrue, yPred);
        IReadOnlyList<T> used = labels ?? present;
        if (targetNames is not null && targetNames.Count != used.Count)
            throw new ForgeException($"A report of {used.Count} labels needs {used.Count} target names, found {targetNames.Count}.");
        IReadOnlyList<string> names = targetNames ?? [.. used.Select(Name)];
        bool microIsAccuracy = labels is null || new HashSet<T>(labels).SetEquals(present);
        Tally tally = Count(yTrue, yPred, used);
        return new ClassificationReport(names, tally.PerClass(1), microIsAccuracy, tally.Averaged(Average.Micro, 1),
            tally.Averaged(Average.Macro, 1), tally.Averaged(Average.Weighted, 1));
    }

    private static Tally Count<T>(IReadOnlyList<T> yTrue, IReadOnlyList<T> yPred, IReadOnlyList<T> labels) where T : notnull
    {
        CheckLengths(yTrue, yPred);
        Dictionary<T, int> index = IndexOf(labels);
        var tally = new Tally(labels.Count);
        var comparer = EqualityComparer<T>.Default;
        for (int i = 0; i < yTrue.Count; i++)
        {
            bool knownTrue = index.TryGetValue(yTrue[i], out int t);
            if (knownTrue) tally.Actual[t]++;
            if (!index.TryGetValue(yPred[i], out int p)) continue;
            tally.Predicted[p]++;
            if (knownTrue && comparer.Equals(yTrue[i], yPred[i])) tally.TruePositives[p]++;
        }
        return tally;
    }

    private static Dictionary<T, int> IndexOf<T>(IReadOnlyList<T> labels) where T : notnull
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count == 0) throw new ForgeException("Expected at least one label, found an empty label list.");
        var index = new Dictionary<T, int>();
        for (int i = 0; i < labels.Count; i++)
        {
            if (!index.TryAdd(labels[i], i)) throw new ForgeException($"Expected distinct labels, found '{Name(labels[i])}' twice.");
        }
        return index;
    }

    private static void CheckLengths<T>(IReadOnlyList<T> yTrue, IReadOnlyList<T> yPred)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(yPred);
        if (yTrue.Count != yPred.Count)
            throw new ForgeException($"Expected as many predictions as true labels, found {yPred.Count} predictions for {yTrue.Count} labels.");
        if (yTrue.Count == 0) throw new ForgeException("Expected at least one example, found none.");
    }

    private static IComparer<T> Order<T>() => typeof(T) == typeof(string) ? (IComparer<T>)StringComparer.Ordinal : Comparer<T>.Default;

    private static string Name<T>(T label) where T : notnull => Convert.ToString(label, CultureInfo.InvariantCulture) ?? "";

    private static string Join<T>(IEnumerable<T> labels) where T : notnull => string.Join(", ", labels.Select(Name));
}

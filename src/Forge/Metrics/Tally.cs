namespace Forge.Metrics;

/// <summary>Per-class counts of true positives, predictions and true examples, and the scores made from them.</summary>
internal sealed class Tally(int classes)
{
    public int[] TruePositives { get; } = new int[classes];

    public int[] Predicted { get; } = new int[classes];

    public int[] Actual { get; } = new int[classes];

    public static void CheckBeta(double beta)
    {
        if (!(beta >= 0) || double.IsInfinity(beta)) throw new ForgeException($"F-beta needs a finite beta >= 0, found {beta}.");
    }

    public ClassScores Class(int i, double beta) => Scores(TruePositives[i], Predicted[i], Actual[i], beta);

    public IReadOnlyList<ClassScores> PerClass(double beta) => [.. Enumerable.Range(0, Actual.Length).Select(i => Class(i, beta))];

    public ClassScores Averaged(Average average, double beta)
    {
        int support = Actual.Sum();
        if (average == Average.Micro) return Scores(TruePositives.Sum(), Predicted.Sum(), support, beta);
        IReadOnlyList<ClassScores> scores = PerClass(beta);
        if (scores.Count == 0) return new ClassScores(0, 0, 0, support);
        if (average == Average.Macro)
            return new ClassScores(scores.Sum(s => s.Precision) / scores.Count, scores.Sum(s => s.Recall) / scores.Count, scores.Sum(s => s.FScore) / scores.Count, support);
        if (average != Average.Weighted) throw new ArgumentOutOfRangeException(nameof(average), average, "Unknown average.");
        if (support == 0) return new ClassScores(0, 0, 0, 0);
        return new ClassScores(
            scores.Sum(s => s.Precision * s.Support) / support,
            scores.Sum(s => s.Recall * s.Support) / support,
            scores.Sum(s => s.FScore * s.Support) / support,
            support);
    }

    private static ClassScores Scores(int truePositives, int predicted, int actual, double beta)
    {
        double precision = predicted == 0 ? 0 : (double)truePositives / predicted;
        double recall = actual == 0 ? 0 : (double)truePositives / actual;
        double beta2 = beta * beta;
        double denominator = beta2 * precision + recall;
        double f = denominator == 0 ? 0 : (1 + beta2) * precision * recall / denominator;
        return new ClassScores(precision, recall, f, actual);
    }
}

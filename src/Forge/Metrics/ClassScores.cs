namespace Forge.Metrics;

/// <summary>How per-class scores are combined into one, as scikit-learn's <c>average</c> argument.</summary>
public enum Average
{
    /// <summary>Scores of the summed counts (true positives, predictions, true examples) of every class.</summary>
    Micro,

    /// <summary>The unweighted mean of the per-class scores.</summary>
    Macro,

    /// <summary>The mean of the per-class scores weighted by each class's support.</summary>
    Weighted,
}

/// <summary>
/// Precision, recall and F-score of one class (or an average of classes), with the number of true examples behind them
/// (for an average, the sum over its classes). A ratio whose denominator is zero is 0, as scikit-learn's default.
/// </summary>
public sealed record ClassScores(double Precision, double Recall, double FScore, int Support);

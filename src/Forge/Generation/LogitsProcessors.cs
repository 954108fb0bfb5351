using Forge.Tensors;

namespace Forge.Generation;

/// <summary>
/// The steps that turn a model's next-token scores into a choice, applied in Hugging Face's order: repetition penalty, n-gram ban,
/// temperature, top-k, top-p. Scores are one row of logits (or log-probabilities); banned tokens become negative infinity.
/// </summary>
public static class LogitsProcessors
{
    /// <summary>Divides positive scores (multiplies negative ones) of tokens in <paramref name="sequence"/> by <paramref name="penalty"/>.</summary>
    public static void ApplyRepetitionPenalty(double[] scores, IReadOnlyList<int> sequence, double penalty)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(sequence);
        if (penalty == 1) return;
        foreach (int token in sequence.Distinct())
            scores[token] = scores[token] < 0 ? scores[token] * penalty : scores[token] / penalty;
    }

    /// <summary>Bans every token that would complete an n-gram of size <paramref name="size"/> already in <paramref name="sequence"/>.</summary>
    public static void BanRepeatedNgrams(double[] scores, IReadOnlyList<int> sequence, int size)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(sequence);
        if (size <= 0 || sequence.Count + 1 < size) return;
        int prefixStart = sequence.Count - (size - 1);
        for (int start = 0; start + size <= sequence.Count; start++)
        {
            bool matches = true;
            for (int k = 0; k < size - 1 && matches; k++) matches = sequence[start + k] == sequence[prefixStart + k];
            if (matches) scores[sequence[start + size - 1]] = double.NegativeInfinity;
        }
    }

    /// <summary>Divides every score by <paramref name="temperature"/>.</summary>
    public static void ApplyTemperature(double[] scores, double temperature)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (temperature == 1) return;
        for (int i = 0; i < scores.Length; i++) scores[i] /= temperature;
    }

    /// <summary>Bans every token scoring below the <paramref name="k"/>-th highest score (ties with it are kept).</summary>
    public static void KeepTopK(double[] scores, int k)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (k <= 0 || k >= scores.Length) return;
        double threshold = scores.OrderDescending().ElementAt(k - 1);
        for (int i = 0; i < scores.Length; i++)
            if (scores[i] < threshold) scores[i] = double.NegativeInfinity;
    }

    /// <summary>Keeps the most likely tokens until their probabilities sum to at least <paramref name="p"/> (at least one), banning the rest.</summary>
    public static void KeepTopP(double[] scores, double p)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (p >= 1) return;
        double[] probabilities = Softmax(scores);
        int[] order = [.. Enumerable.Range(0, scores.Length).OrderByDescending(i => probabilities[i])];
        double before = 0;
        foreach (int i in order)
        {
            if (before >= p) scores[i] = double.NegativeInfinity;
            before += probabilities[i];
        }
    }

    /// <summary>The softmax of <paramref name="scores"/> (negative infinity gives 0).</summary>
    public static double[] Softmax(double[] scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        double max = scores.Max();
        double[] result = new double[scores.Length];
        double total = 0;
        for (int i = 0; i < scores.Length; i++) total += result[i] = double.IsNegativeInfinity(scores[i]) ? 0 : Math.Exp(scores[i] - max);
        for (int i = 0; i < scores.Length; i++) result[i] /= total;
        return result;
    }

    /// <summary>The log-softmax of <paramref name="scores"/>.</summary>
    public static double[] LogSoftmax(double[] scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        double max = scores.Max();
        double total = 0;
        foreach (double s in scores) total += double.IsNegativeInfinity(s) ? 0 : Math.Exp(s - max);
        double logTotal = max + Math.Log(total);
        return [.. scores.Select(s => s - logTotal)];
    }

    /// <summary>The index of the highest score (the first on ties).</summary>
    public static int ArgMax(double[] scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        int best = 0;
        for (int i = 1; i < scores.Length; i++)
            if (scores[i] > scores[best]) best = i;
        return best;
    }

    /// <summary>Draws an index with probability softmax(<paramref name="scores"/>) using <paramref name="generator"/>.</summary>
    public static int Sample(double[] scores, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        double[] probabilities = Softmax(scores);
        double u = generator.NextDouble();
        int last = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            if (probabilities[i] == 0) continue;
            last = i;
            u -= probabilities[i];
            if (u < 0) return i;
        }
        return last;
    }
}

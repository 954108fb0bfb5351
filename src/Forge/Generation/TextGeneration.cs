using Forge.Autograd;
using Forge.Nn;
using Forge.Tensors;

namespace Forge.Generation;

/// <summary>
/// Autoregressive decoding with a <see cref="ICausalLanguageModel"/>, like Hugging Face's <c>generate</c>: greedy, sampling
/// (temperature, top-k, top-p) and beam search, with repetition penalty, n-gram blocking, an end-of-sequence token and a
/// key/value cache. Runs without recording gradients; put the model in evaluation mode first.
/// </summary>
public static class TextGeneration
{
    /// <summary>
    /// Generates up to <see cref="GenerationConfig.MaxNewTokens"/> tokens after <paramref name="prompt"/> and returns them (the
    /// end-of-sequence token included when it ended the output). <paramref name="onToken"/> sees each token as it is chosen (for
    /// beam search, the winning hypothesis's tokens at the end) and stops generation by returning false.
    /// Greedy and sampled decoding slide a window of the model's context over longer outputs; beam search stops at the context.
    /// </summary>
    public static int[] Generate(ICausalLanguageModel model, IReadOnlyList<int> prompt, GenerationConfig config, Func<int, bool>? onToken = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (prompt.Count == 0) throw new ForgeException("The prompt must hold at least one token.");
        if (prompt.Count > model.ContextLength)
            throw new ForgeException($"The prompt has {prompt.Count} tokens but the model's context holds {model.ContextLength}.");
        foreach (int id in prompt)
        {
            if ((uint)id >= (uint)model.VocabularySize)
                throw new ForgeException($"Prompt token id {id} is outside the model's vocabulary of {model.VocabularySize}.");
        }

        using (GradMode.NoGrad())
        {
            if (config.Strategy != DecodingStrategy.Beam) return Decode(model, prompt, config, onToken);
            int[] best = BeamSearch(model, prompt, config);
            if (onToken is not null)
            {
                foreach (int token in best)
                {
                    if (!onToken(token)) break;
                }
            }
            return best;
        }
    }

    private static int[] Decode(ICausalLanguageModel model, IReadOnlyList<int> prompt, GenerationConfig config, Func<int, bool>? onToken)
    {
        // Room for every token up front (within reason), so a decoding step does not grow the lists.
        int expected = Math.Min(config.MaxNewTokens, 1 << 16);
        var sequence = new List<int>(prompt.Count + expected);
        sequence.AddRange(prompt);
        var generated = new List<int>(expected);
        int context = model.ContextLength;
        KeyValueCache? cache = config.UseCache
            ? new KeyValueCache(Math.Min(context, prompt.Count + config.MaxNewTokens), fixedShapes: config.UseStepGraph && model.SupportsFixedShapeCache)
            : null;
        using ReplayedStep? replayed = cache is { FixedShapes: true } ? new ReplayedStep(model, cache) : null;
        var random = new Generator(config.Seed);
        int cached = 0;
        double[]? scores = null;
        for (int step = 0; step < config.MaxNewTokens; step++)
        {
            int start = cache is null ? 0 : cached;
            if (sequence.Count > context)
            {
                cache?.Clear();
                start = sequence.Count - context;
            }
            cached = sequence.Count;
            if (replayed is not null && sequence.Count - start == 1 && cache!.Length > 0)
            {
                scores = replayed.Next(sequence[^1], scores);
            }
            else
            {
                using var scope = TensorScope.Begin();
                scores = LastLogits(model, [.. sequence.Skip(start)], cache, scores);
            }
            int next = Choose(scores, sequence, config, random);
            sequence.Add(next);
            generated.Add(next);
            if (onToken is not null && !onToken(next)) break;
            if (next == config.EosTokenId) break;
        }
        return [.. generated];
    }

    /// <summary>
    /// One decoding step of a single token over a cache of fixed shapes, captured into a <see cref="StepGraph"/> the first time
    /// and replayed after, so a token allocates nothing (the cache must hold the prompt before the first step).
    /// </summary>
    private sealed class ReplayedStep(ICausalLanguageModel model, KeyValueCache cache) : IDisposable
    {
        private readonly Tensor ids = TensorScope.Keep(Tensor.Zeros([1, 1], DType.Int64));
        private StepGraph? graph;
        private Tensor? logits;

        /// <summary>The next-token scores after <paramref name="token"/>, written into <paramref name="scores"/> when it has the right length.</summary>
        public double[] Next(int token, double[]? scores)
        {
            ids.Span<long>()[0] = token;
            if (graph is null) graph = StepGraph.Capture(() => logits = model.Logits(ids, cache));
            else graph.Replay();
            return CopyLastLogits(logits!, 1, scores);
        }

        public void Dispose() => graph?.Dispose();
    }

    private static int Choose(double[] scores, List<int> sequence, GenerationConfig config, Generator random)
    {
        LogitsProcessors.ApplyRepetitionPenalty(scores, sequence, config.RepetitionPenalty);
        LogitsProcessors.BanRepeatedNgrams(scores, sequence, config.NoRepeatNgramSize);
        if (config.Strategy == DecodingStrategy.Greedy) return LogitsProcessors.ArgMax(scores);
        LogitsProcessors.ApplyTemperature(scores, config.Temperature);
        LogitsProcessors.KeepTopK(scores, config.TopK);
        LogitsProcessors.KeepTopP(scores, config.TopP);
        return LogitsProcessors.Sample(scores, random);
    }

    private sealed record Beam(int[] Tokens, double Score, int Parent);

    private static int[] BeamSearch(ICausalLanguageModel model, IReadOnlyList<int> prompt, GenerationConfig config)
    {
        int numBeams = config.NumBeams;
        int maxNew = Math.Min(config.MaxNewTokens, model.ContextLength - prompt.Count);
        KeyValueCache? cache = config.UseCache ? new KeyValueCache() : null;
        var running = new List<Beam> { new([], 0, 0) };
        var finished = new List<(int[] Tokens, double Score)>();
        double Normalize(double sum, int length) => sum / Math.Pow(length, config.LengthPenalty);
        void AddHypothesis(int[] tokens, double sum)
        {
            finished.Add((tokens, Normalize(sum, tokens.Length)));
            if (finished.Count > numBeams) finished.Remove(finished.MinBy(h => h.Score));
        }

        bool done = false;
        for (int step = 0; step < maxNew && !done; step++)
        {
            int[][] inputs = cache is not null && step > 0
                ? [.. running.Select(b => new[] { b.Tokens[^1] })]
                : [.. running.Select(b => prompt.Concat(b.Tokens).ToArray())];
            double[][] rows = LastLogits(model, inputs, cache);
            var candidates = new List<Beam>();
            for (int b = 0; b < running.Count; b++)
            {
                double[] logProbabilities = LogitsProcessors.LogSoftmax(rows[b]);
                List<int> sequence = [.. prompt, .. running[b].Tokens];
                LogitsProcessors.ApplyRepetitionPenalty(logProbabilities, sequence, config.RepetitionPenalty);
                LogitsProcessors.BanRepeatedNgrams(logProbabilities, sequence, config.NoRepeatNgramSize);
                foreach (int token in TopIndices(logProbabilities, 2 * numBeams))
                {
                    if (double.IsNegativeInfinity(logProbabilities[token])) continue;
                    candidates.Add(new([.. running[b].Tokens, token], running[b].Score + logProbabilities[token], b));
                }
            }

            var next = new List<Beam>();
            int rank = 0;
            foreach (Beam candidate in candidates.OrderByDescending(c => c.Score).Take(2 * numBeams))
            {
                if (candidate.Tokens[^1] == config.EosTokenId)
                {
                    if (rank < numBeams) AddHypothesis(candidate.Tokens, candidate.Score);
                }
                else if (next.Count < numBeams)
                {
                    next.Add(candidate);
                }
                rank++;
            }

            if (finished.Count >= numBeams)
            {
                done = config.EarlyStopping || next.Count == 0
                    || finished.Min(h => h.Score) >= Normalize(next[0].Score, step + 1);
            }
            if (next.Count == 0) break;
            cache?.Reorder([.. next.Select(b => (long)b.Parent)]);
            running = next;
        }
        if (!done)
        {
            foreach (Beam beam in running.Where(b => b.Tokens.Length > 0)) AddHypothesis(beam.Tokens, beam.Score);
        }
        return finished.Count == 0 ? [] : finished.MaxBy(h => h.Score).Tokens;
    }

    private static IEnumerable<int> TopIndices(double[] scores, int count) =>
        Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).Take(count);

    /// <summary>The logits of the last position of <paramref name="input"/>, written into <paramref name="scores"/> when it has the right length.</summary>
    private static double[] LastLogits(ICausalLanguageModel model, int[] input, KeyValueCache? cache, double[]? scores)
    {
        long[] ids = [.. input.Select(t => (long)t)];
        return CopyLastLogits(model.Logits(Tensor.FromArray(ids, 1, input.Length), cache), input.Length, scores);
    }

    /// <summary>The last position's row of <paramref name="logits"/> [1, length, vocabulary], written into <paramref name="scores"/> when it has the right length.</summary>
    private static double[] CopyLastLogits(Tensor logits, int length, double[]? scores)
    {
        int vocabulary = logits.Size(-1);
        if (logits.Dim != 3 || logits.Size(0) != 1 || logits.Size(1) != length)
            throw new ForgeException($"The model returned logits of shape {Tensor.Format(logits.Shape)} for input [1, {length}]: expected [1, {length}, vocabulary].");
        if (logits.DType != DType.Float32 || !logits.IsContiguous) logits = logits.Contiguous().To(DType.Float32);
        if (scores is null || scores.Length != vocabulary) scores = new double[vocabulary];
        ReadOnlySpan<float> values = logits.Span<float>().Slice((length - 1) * vocabulary, vocabulary);
        for (int i = 0; i < vocabulary; i++) scores[i] = values[i];
        GC.KeepAlive(logits);
        return scores;
    }

    /// <summary>The logits of the last position of each row of <paramref name="inputs"/> (rows of equal length).</summary>
    private static double[][] LastLogits(ICausalLanguageModel model, int[][] inputs, KeyValueCache? cache)
    {
        int batch = inputs.Length, length = inputs[0].Length;
        long[] ids = [.. inputs.SelectMany(row => row.Select(t => (long)t))];
        Tensor logits = model.Logits(Tensor.FromArray(ids, batch, length), cache);
        int vocabulary = logits.Size(-1);
        if (logits.Dim != 3 || logits.Size(0) != batch || logits.Size(1) != length)
            throw new ForgeException($"The model returned logits of shape {Tensor.Format(logits.Shape)} for input [{batch}, {length}]: expected [{batch}, {length}, vocabulary].");
        float[] last = logits.Narrow(1, length - 1, 1).Contiguous().To(DType.Float32).ToArray<float>();
        return [.. Enumerable.Range(0, batch).Select(b => last.AsSpan(b * vocabulary, vocabulary).ToArray().Select(v => (double)v).ToArray())];
    }
}

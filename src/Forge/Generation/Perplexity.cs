using Forge.Autograd;
using Forge.Tensors;

namespace Forge.Generation;

/// <summary>The result of <see cref="Perplexity.Evaluate"/>: mean negative log-likelihood (nats), its exponential and the tokens scored.</summary>
public sealed record PerplexityResult(double Loss, double Perplexity, int Tokens);

/// <summary>
/// Perplexity of a causal language model on a token sequence, by Hugging Face's sliding-window recipe: windows of the model's context
/// start every <c>stride</c> tokens; each token from the second on is scored once, given its prefix inside the first window that
/// holds it after its first position. With a stride equal to the context the windows do not overlap and the first token of each
/// later window is not scored; a smaller stride gives every scored token more context.
/// </summary>
public static class Perplexity
{
    /// <summary>Scores <paramref name="tokens"/> with <paramref name="model"/> (evaluation mode is the caller's to set).</summary>
    public static PerplexityResult Evaluate(ICausalLanguageModel model, IReadOnlyList<int> tokens, int? stride = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Count < 2) throw new ForgeException($"Perplexity needs at least 2 tokens, found {tokens.Count}.");
        int context = model.ContextLength;
        int step = stride ?? context;
        if (step < 1 || step > context) throw new ForgeException($"The stride must be in [1, {context}] (the model's context), found {step}.");

        using var noGrad = GradMode.NoGrad();
        double total = 0;
        int scored = 0, previousEnd = 0;
        for (int begin = 0; begin < tokens.Count; begin += step)
        {
            int end = Math.Min(begin + context, tokens.Count);
            int firstTarget = Math.Max(previousEnd, begin + 1);
            if (firstTarget < end)
            {
                long[] window = [.. tokens.Skip(begin).Take(end - begin).Select(t => (long)t)];
                Tensor logits = model.Logits(Tensor.FromArray(window, 1, window.Length));
                Tensor logProbabilities = Forge.Nn.Functional.LogSoftmax(logits.Squeeze(0), -1);
                int count = end - firstTarget;
                Tensor predicting = logProbabilities.Narrow(0, firstTarget - 1 - begin, count);
                Tensor targets = Tensor.FromArray(window[(firstTarget - begin)..], count, 1);
                float[] picked = predicting.Gather(1, targets).ToArray<float>();
                foreach (float value in picked) total -= value;
                scored += count;
            }
            previousEnd = end;
            if (end == tokens.Count) break;
        }
        double loss = total / scored;
        return new PerplexityResult(loss, Math.Exp(loss), scored);
    }
}

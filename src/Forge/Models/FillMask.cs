using Forge.Autograd;
using Forge.Tensors;
using Forge.Tokenizers;

namespace Forge.Models;

/// <summary>One candidate for a [MASK]: the token, its id, its softmax probability, and the text with it in place (special tokens dropped).</summary>
public sealed record MaskPrediction(string Token, int Id, double Score, string Sequence);

/// <summary>
/// Hugging Face's fill-mask pipeline: the text is encoded with its special tokens, the model scores every position, and for each
/// [MASK] the <c>topK</c> most probable tokens (softmax over the vocabulary) are returned, best first.
/// </summary>
public static class FillMask
{
    /// <summary>The mask token the tokenizer must know.</summary>
    public const string MaskToken = "[MASK]";

    /// <summary>The candidates of every [MASK] of <paramref name="text"/>, in the order the masks appear.</summary>
    /// <param name="logits">The model in evaluation mode: Int64 ids [1, length] to logits [1, length, vocab].</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="text">Text holding at least one [MASK].</param>
    /// <param name="topK">Candidates per mask.</param>
    public static IReadOnlyList<IReadOnlyList<MaskPrediction>> Predict(Func<Tensor, Tensor> logits, ITokenizer tokenizer, string text, int topK = 5)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(text);
        if (topK < 1) throw new ForgeException($"top-k must be at least 1, found {topK}.");
        int mask = tokenizer.TokenToId(MaskToken) ?? throw new ForgeException($"The tokenizer has no {MaskToken} token.");
        int[] ids = [.. tokenizer.Encode(text)];
        int[] positions = [.. Enumerable.Range(0, ids.Length).Where(i => ids[i] == mask)];
        if (positions.Length == 0) throw new ForgeException($"The text must hold at least one {MaskToken}; found none in \"{text}\".");
        Tensor output;
        using (GradMode.NoGrad()) output = logits(Tensor.FromArray(Array.ConvertAll(ids, i => (long)i), 1, ids.Length));
        int vocabulary = output.Size(-1);
        if (output.Numel != (long)ids.Length * vocabulary)
            throw new ForgeException($"The model gave logits of shape [{string.Join(", ", output.Shape)}] for {ids.Length} tokens.");
        float[] values = output.ToArray<float>();
        var special = new HashSet<int>(tokenizer.SpecialTokens.Values);
        var result = new List<IReadOnlyList<MaskPrediction>>();
        foreach (int position in positions)
        {
            int offset = position * vocabulary;
            double max = double.NegativeInfinity;
            for (int v = 0; v < vocabulary; v++) max = Math.Max(max, values[offset + v]);
            double sum = 0;
            for (int v = 0; v < vocabulary; v++) sum += Math.Exp(values[offset + v] - max);
            int[] best = [.. Enumerable.Range(0, vocabulary).OrderByDescending(v => values[offset + v]).ThenBy(v => v).Take(Math.Min(topK, vocabulary))];
            result.Add([.. best.Select(id =>
            {
                int[] filled = [.. ids];
                filled[position] = id;
                return new MaskPrediction(tokenizer.Decode([id]), id, Math.Exp(values[offset + id] - max) / sum,
                    tokenizer.Decode(filled.Where(t => !special.Contains(t))));
            })]);
        }
        return result;
    }
}

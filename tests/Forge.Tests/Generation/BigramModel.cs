using Forge.Generation;
using Forge.Nn;
using Forge.Tensors;

namespace Forge.Tests.Generation;

/// <summary>
/// A hand-checkable language model: the next-token distribution depends only on the current token (a row of
/// <c>probabilities</c>). It keeps a one-layer cache of dummy keys so the cache bookkeeping is checked: positions never
/// exceed the context and the cache always holds the batch it is fed.
/// </summary>
internal sealed class BigramModel(double[][] probabilities, int contextLength = 64) : ICausalLanguageModel
{
    public int VocabularySize => probabilities.Length;

    public int ContextLength => contextLength;

    public int Calls { get; private set; }

    public int LongestInput { get; private set; }

    public Tensor Logits(Tensor inputIds, KeyValueCache? cache = null)
    {
        Calls++;
        int batch = inputIds.Size(0), length = inputIds.Size(1);
        LongestInput = Math.Max(LongestInput, length);
        if (cache is not null)
        {
            if (cache.Length > 0 && cache.BatchSize != batch)
                throw new InvalidOperationException($"cache holds {cache.BatchSize} rows, input has {batch}");
            cache.Append(0, Tensor.Zeros(batch, 1, length, 1), Tensor.Zeros(batch, 1, length, 1));
            if (cache.Length > contextLength) throw new InvalidOperationException($"{cache.Length} positions exceed the context");
        }
        if (length > contextLength) throw new InvalidOperationException($"{length} positions exceed the context");
        long[] ids = inputIds.ToArray<long>();
        var logits = new float[batch * length * VocabularySize];
        for (int i = 0; i < batch * length; i++)
            for (int v = 0; v < VocabularySize; v++)
                logits[i * VocabularySize + v] = (float)Math.Log(probabilities[ids[i]][v]);
        return Tensor.FromArray(logits, batch, length, VocabularySize);
    }
}

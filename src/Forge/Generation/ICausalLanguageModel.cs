using Forge.Nn;
using Forge.Tensors;

namespace Forge.Generation;

/// <summary>A model that predicts the next token of every prefix: what <see cref="TextGeneration"/> decodes with.</summary>
public interface ICausalLanguageModel
{
    /// <summary>The number of token ids the model scores.</summary>
    int VocabularySize { get; }

    /// <summary>The most positions the model attends over.</summary>
    int ContextLength { get; }

    /// <summary>
    /// Next-token logits [batch, positions, vocabulary] for <paramref name="inputIds"/> [batch, positions] (Int64). With a
    /// <paramref name="cache"/>, the ids continue the cached positions and the cache grows by them.
    /// </summary>
    Tensor Logits(Tensor inputIds, KeyValueCache? cache = null);

    /// <summary>
    /// Whether <see cref="Logits"/> honours a cache of fixed shapes (<see cref="KeyValueCache.FixedShapes"/>: it reserves the new
    /// positions, writes keys and values there and attends through the cache's mask), so decoding can replay one captured step.
    /// </summary>
    bool SupportsFixedShapeCache => false;
}

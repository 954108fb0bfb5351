namespace Forge.Generation;

/// <summary>Settings of <see cref="TextGeneration"/>, named after Hugging Face's <c>GenerationConfig</c>.</summary>
public sealed record GenerationConfig
{
    /// <summary>How tokens are chosen.</summary>
    public DecodingStrategy Strategy { get; init; } = DecodingStrategy.Greedy;

    /// <summary>The most tokens to generate.</summary>
    public int MaxNewTokens { get; init; } = 50;

    /// <summary>Generation stops after this token (it is included in the output); null for none.</summary>
    public int? EosTokenId { get; init; }

    /// <summary>Sampling: logits are divided by this before the softmax.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Sampling: keep only the k most likely tokens (0 keeps all).</summary>
    public int TopK { get; init; }

    /// <summary>Sampling: keep the fewest most likely tokens whose probabilities sum to at least this (1 keeps all).</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Tokens already in the sequence get their logit divided (if positive) or multiplied (if negative) by this (1 is off).</summary>
    public double RepetitionPenalty { get; init; } = 1.0;

    /// <summary>No n-gram of this size occurs twice in the sequence (0 is off).</summary>
    public int NoRepeatNgramSize { get; init; }

    /// <summary>Beam search: the number of hypotheses kept.</summary>
    public int NumBeams { get; init; } = 4;

    /// <summary>Beam search: scores are the summed log-probabilities divided by (generated length)^this; above 0 favours longer outputs.</summary>
    public double LengthPenalty { get; init; } = 1.0;

    /// <summary>Beam search: stop as soon as <see cref="NumBeams"/> hypotheses are finished, rather than when none can improve.</summary>
    public bool EarlyStopping { get; init; }

    /// <summary>Sampling: the seed of the random draws.</summary>
    public ulong Seed { get; init; }

    /// <summary>Reuse the attention keys and values of earlier positions (incremental decoding).</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>
    /// Greedy and sampled decoding with the cache, on a model that supports it (<see cref="ICausalLanguageModel.SupportsFixedShapeCache"/>):
    /// keep the keys and values in a cache of fixed shapes and decode each token after the prompt by replaying one captured step
    /// (a <see cref="Forge.Tensors.StepGraph"/>), so a token allocates no managed memory; false runs every step eagerly over a
    /// growing cache.
    /// </summary>
    public bool UseStepGraph { get; init; } = true;

    /// <summary>Checks the values, throwing <see cref="ForgeException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (MaxNewTokens < 0) throw new ForgeException($"MaxNewTokens must be non-negative, found {MaxNewTokens}.");
        if (!(Temperature > 0)) throw new ForgeException($"Temperature must be positive, found {Temperature}.");
        if (TopK < 0) throw new ForgeException($"TopK must be non-negative, found {TopK}.");
        if (!(TopP > 0 && TopP <= 1)) throw new ForgeException($"TopP must be in (0, 1], found {TopP}.");
        if (!(RepetitionPenalty > 0)) throw new ForgeException($"RepetitionPenalty must be positive, found {RepetitionPenalty}.");
        if (NoRepeatNgramSize < 0) throw new ForgeException($"NoRepeatNgramSize must be non-negative, found {NoRepeatNgramSize}.");
        if (NumBeams < 1) throw new ForgeException($"NumBeams must be at least 1, found {NumBeams}.");
    }
}

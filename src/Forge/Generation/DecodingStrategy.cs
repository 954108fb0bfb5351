namespace Forge.Generation;

/// <summary>How the next token is chosen.</summary>
public enum DecodingStrategy
{
    /// <summary>The most likely token.</summary>
    Greedy,

    /// <summary>Beam search over <see cref="GenerationConfig.NumBeams"/> hypotheses.</summary>
    Beam,

    /// <summary>A token drawn from the (temperature, top-k, top-p filtered) distribution.</summary>
    Sample,
}

namespace Forge.Nn;

/// <summary>How a loss reduces its per-element values.</summary>
public enum Reduction
{
    /// <summary>Per-element losses.</summary>
    None,
    /// <summary>The mean over elements (PyTorch's default).</summary>
    Mean,
    /// <summary>The sum over elements.</summary>
    Sum,
}

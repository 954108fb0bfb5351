using Forge.Tensors;

namespace Forge.Autograd;

/// <summary>
/// One recorded op in the dynamic graph: the inputs it read and a function from the output's gradient to the
/// inputs' gradients. Backward releases it (and everything it saved) unless the graph is retained.
/// </summary>
public sealed class GradNode
{
    private Tensor?[]? inputs;
    private Func<Tensor, Tensor?[]>? backward;

    internal GradNode(string name, Tensor?[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        Name = name;
        this.inputs = inputs;
        this.backward = backward;
    }

    /// <summary>The op's name, e.g. "MatMulBackward".</summary>
    public string Name { get; }

    /// <summary>
    /// Set for a slice of its input (Narrow, Split, Select): the engine then gathers the slices' gradients and writes them into one
    /// full-size gradient, instead of adding up one zero-padded full-size gradient per slice.
    /// </summary>
    internal SliceOfInput? Slice { get; set; }

    /// <summary>
    /// Set for rows of its input gathered by an index (an embedding lookup): the engine then adds the output's gradient rows
    /// into the input's gradient, into the other contributions' sum when there is one (a tied output head), instead of adding
    /// a zero-filled full-size gradient to it.
    /// </summary>
    internal RowsOfInput? Rows { get; set; }

    /// <summary>True once backward has freed this node's saved state.</summary>
    public bool IsReleased => backward is null;

    internal Tensor?[] Inputs => inputs ?? throw Released();

    internal Tensor?[] Apply(Tensor gradOutput)
    {
        var fn = backward ?? throw Released();
        Tensor?[] grads = fn(gradOutput);
        if (grads.Length != inputs!.Length) throw new InvalidOperationException($"{Name} returned {grads.Length} gradients for {inputs.Length} inputs.");
        return grads;
    }

    internal void Release()
    {
        inputs = null;
        backward = null;
    }

    private ForgeException Released() =>
        new($"The graph through {Name} was already freed by a backward pass; pass retainGraph: true to the first Backward() to run backward twice.");
}

/// <summary>Elements start, start + step, ... below end of dimension <paramref name="Dim"/> of an input of shape <paramref name="InputShape"/>.</summary>
internal sealed record SliceOfInput(int[] InputShape, int Dim, int Start, int End, int Step);

/// <summary>Rows <paramref name="Index"/> (a contiguous Int64 vector) of an input of shape [rows, width], in that order.</summary>
internal sealed record RowsOfInput(int[] InputShape, Tensor Index);

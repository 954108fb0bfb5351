using Forge.Autograd;
using Forge.Tensors;

namespace Forge.Nn;

/// <summary>
/// A lookup table of vectors (PyTorch's nn.Embedding): Int64 indices of any shape give [..., embeddingDim]. The weight
/// [numEmbeddings, embeddingDim] starts N(0, 1); the padding row starts at zero and never receives gradients.
/// </summary>
public class Embedding : Module<Tensor, Tensor>
{
    /// <summary>A table of <paramref name="numEmbeddings"/> vectors of size <paramref name="embeddingDim"/>; a negative padding index counts from the end.</summary>
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIndex = null, Generator? generator = null)
    {
        LayerChecks.CheckSize(nameof(numEmbeddings), numEmbeddings);
        LayerChecks.CheckSize(nameof(embeddingDim), embeddingDim);
        if (paddingIndex is int p && (p < -numEmbeddings || p >= numEmbeddings))
            throw new ForgeException($"Embedding padding index must be in [{-numEmbeddings}, {numEmbeddings}), found {p}.");
        PaddingIndex = paddingIndex is int q && q < 0 ? q + numEmbeddings : paddingIndex;
        Weight = new Parameter(Tensor.Empty([numEmbeddings, embeddingDim]));
        ResetParameters(generator);
    }

    /// <summary>The table [numEmbeddings, embeddingDim].</summary>
    public Parameter Weight { get; set; }

    /// <summary>The row that stays zero and gets no gradient, or null.</summary>
    public int? PaddingIndex { get; }

    /// <summary>The number of vectors.</summary>
    public int NumEmbeddings => Weight.Shape[0];

    /// <summary>The size of each vector.</summary>
    public int EmbeddingDim => Weight.Shape[1];

    /// <summary>Draws the table again from N(0, 1), with the padding row zero.</summary>
    public void ResetParameters(Generator? generator = null)
    {
        Init.Normal(Weight, 0, 1, generator);
        if (PaddingIndex is int p)
        {
            using var noGrad = GradMode.NoGrad();
            Weight.Select(0, p).Zero();
        }
    }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Functional.Embedding(input, Weight, PaddingIndex);

    /// <inheritdoc />
    public override string ExtraRepr() => $"{NumEmbeddings}, {EmbeddingDim}" + (PaddingIndex is int p ? $", padding_idx={p}" : "");
}

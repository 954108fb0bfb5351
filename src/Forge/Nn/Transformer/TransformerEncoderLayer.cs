using Forge.Tensors;
using ActivationKind = Forge.Nn.Activation;

namespace Forge.Nn;

/// <summary>
/// A Transformer encoder block (PyTorch's nn.TransformerEncoderLayer with batch_first=True): self-attention and a feed-forward
/// block, each with dropout and a residual connection, normalized after the residual (post-norm, the default) or before each
/// block (pre-norm, <c>normFirst</c>). State names match PyTorch's apart from the split attention projections.
/// </summary>
public class TransformerEncoderLayer : Module<EncoderInput, Tensor>
{
    /// <summary>
    /// A block of width <paramref name="dModel"/> with <paramref name="numHeads"/> heads and <paramref name="dimFeedforward"/> hidden
    /// units; <paramref name="causal"/> makes the self-attention causal.
    /// </summary>
    public TransformerEncoderLayer(int dModel, int numHeads, int dimFeedforward = 2048, float dropout = 0.1f, ActivationKind activation = ActivationKind.Relu,
        float layerNormEps = 1e-5f, bool normFirst = false, bool bias = true, bool causal = false, Generator? generator = null)
    {
        SelfAttn = new MultiHeadAttention(dModel, numHeads, dropout, bias, causal, generator: generator);
        Linear1 = new Linear(dModel, dimFeedforward, bias, generator);
        Dropout = new Dropout(dropout, generator);
        Linear2 = new Linear(dimFeedforward, dModel, bias, generator);
        Norm1 = new LayerNorm(dModel, layerNormEps, bias: bias);
        Norm2 = new LayerNorm(dModel, layerNormEps, bias: bias);
        Dropout1 = new Dropout(dropout, generator);
        Dropout2 = new Dropout(dropout, generator);
        Activation = Activations.Create(activation);
        NormFirst = normFirst;
    }

    /// <summary>The self-attention.</summary>
    public MultiHeadAttention SelfAttn { get; set; }

    /// <summary>The feed-forward expansion.</summary>
    public Linear Linear1 { get; set; }

    /// <summary>Dropout on the feed-forward hidden units.</summary>
    public Dropout Dropout { get; set; }

    /// <summary>The feed-forward projection back to dModel.</summary>
    public Linear Linear2 { get; set; }

    /// <summary>The normalization around the attention block.</summary>
    public Module<Tensor, Tensor> Norm1 { get; set; }

    /// <summary>The normalization around the feed-forward block.</summary>
    public Module<Tensor, Tensor> Norm2 { get; set; }

    /// <summary>Dropout on the attention block's output.</summary>
    public Dropout Dropout1 { get; set; }

    /// <summary>Dropout on the feed-forward block's output.</summary>
    public Dropout Dropout2 { get; set; }

    /// <summary>The feed-forward nonlinearity.</summary>
    public Module<Tensor, Tensor> Activation { get; set; }

    /// <summary>Whether each block is normalized before it (pre-norm) rather than after the residual.</summary>
    public bool NormFirst { get; }

    /// <summary>Encodes <paramref name="source"/> [batch, length, dModel] with optional masks (see <see cref="EncoderInput"/>).</summary>
    public Tensor Forward(Tensor source, Tensor? mask = null, Tensor? keyPaddingMask = null) => Forward(new EncoderInput(source, mask, keyPaddingMask));

    /// <inheritdoc />
    protected override Tensor ForwardCore(EncoderInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Tensor x = input.Source;
        if (NormFirst)
        {
            x = x.Add(SelfAttentionBlock(Norm1.Forward(x), input));
            return x.Add(FeedForwardBlock(Norm2.Forward(x)));
        }
        x = Norm1.Forward(x.Add(SelfAttentionBlock(x, input)));
        return Norm2.Forward(x.Add(FeedForwardBlock(x)));
    }

    /// <inheritdoc />
    public override string ExtraRepr() => $"norm_first={PyBool(NormFirst)}";

    private Tensor SelfAttentionBlock(Tensor x, EncoderInput input) =>
        Dropout1.Forward(SelfAttn.Forward(new AttentionInput(x) { AttentionMask = input.Mask, KeyPaddingMask = input.KeyPaddingMask }).Output);

    private Tensor FeedForwardBlock(Tensor x) => Dropout2.Forward(Linear2.Forward(Dropout.Forward(Activation.Forward(Linear1.Forward(x)))));
}

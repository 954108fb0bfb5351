using Forge.Tensors;
using ActivationKind = Forge.Nn.Activation;

namespace Forge.Nn;

/// <summary>
/// A Transformer decoder block (PyTorch's nn.TransformerDecoderLayer with batch_first=True): self-attention over the target,
/// cross-attention to the encoder output (memory) and a feed-forward block, each with dropout and a residual connection,
/// post-norm by default or pre-norm with <c>normFirst</c>.
/// </summary>
public class TransformerDecoderLayer : Module<DecoderInput, Tensor>
{
    /// <summary>
    /// A block of width <paramref name="dModel"/> with <paramref name="numHeads"/> heads and <paramref name="dimFeedforward"/> hidden
    /// units; <paramref name="causal"/> makes the self-attention causal (PyTorch instead takes a causal target mask).
    /// </summary>
    public TransformerDecoderLayer(int dModel, int numHeads, int dimFeedforward = 2048, float dropout = 0.1f, ActivationKind activation = ActivationKind.Relu,
        float layerNormEps = 1e-5f, bool normFirst = false, bool bias = true, bool causal = false, Generator? generator = null)
    {
        SelfAttn = new MultiHeadAttention(dModel, numHeads, dropout, bias, causal, generator: generator);
        MultiheadAttn = new MultiHeadAttention(dModel, numHeads, dropout, bias, generator: generator);
        Linear1 = new Linear(dModel, dimFeedforward, bias, generator);
        Dropout = new Dropout(dropout, generator);
        Linear2 = new Linear(dimFeedforward, dModel, bias, generator);
        Norm1 = new LayerNorm(dModel, layerNormEps, bias: bias);
        Norm2 = new LayerNorm(dModel, layerNormEps, bias: bias);
        Norm3 = new LayerNorm(dModel, layerNormEps, bias: bias);
        Dropout1 = new Dropout(dropout, generator);
        Dropout2 = new Dropout(dropout, generator);
        Dropout3 = new Dropout(dropout, generator);
        Activation = Activations.Create(activation);
        NormFirst = normFirst;
    }

    /// <summary>The self-attention over the target.</summary>
    public MultiHeadAttention SelfAttn { get; set; }

    /// <summary>The cross-attention from the target to the memory (PyTorch's multihead_attn).</summary>
    public MultiHeadAttention MultiheadAttn { get; set; }

    /// <summary>The feed-forward expansion.</summary>
    public Linear Linear1 { get; set; }

    /// <summary>Dropout on the feed-forward hidden units.</summary>
    public Dropout Dropout { get; set; }

    /// <summary>The feed-forward projection back to dModel.</summary>
    public Linear Linear2 { get; set; }

    /// <summary>The normalization around self-attention.</summary>
    public Module<Tensor, Tensor> Norm1 { get; set; }

    /// <summary>The normalization around cross-attention.</summary>
    public Module<Tensor, Tensor> Norm2 { get; set; }

    /// <summary>The normalization around the feed-forward block.</summary>
    public Module<Tensor, Tensor> Norm3 { get; set; }

    /// <summary>Dropout on the self-attention output.</summary>
    public Dropout Dropout1 { get; set; }

    /// <summary>Dropout on the cross-attention output.</summary>
    public Dropout Dropout2 { get; set; }

    /// <summary>Dropout on the feed-forward output.</summary>
    public Dropout Dropout3 { get; set; }

    /// <summary>The feed-forward nonlinearity.</summary>
    public Module<Tensor, Tensor> Activation { get; set; }

    /// <summary>Whether each block is normalized before it (pre-norm) rather than after the residual.</summary>
    public bool NormFirst { get; }

    /// <summary>Decodes <paramref name="target"/> attending to <paramref name="memory"/>, with optional masks (see <see cref="DecoderInput"/>).</summary>
    public Tensor Forward(Tensor target, Tensor memory, Tensor? targetMask = null, Tensor? memoryMask = null, Tensor? targetKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null) =>
        Forward(new DecoderInput(target, memory, targetMask, memoryMask, targetKeyPaddingMask, memoryKeyPaddingMask));

    /// <inheritdoc />
    protected override Tensor ForwardCore(DecoderInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Tensor x = input.Target;
        if (NormFirst)
        {
            x = x.Add(SelfAttentionBlock(Norm1.Forward(x), input));
            x = x.Add(CrossAttentionBlock(Norm2.Forward(x), input));
            return x.Add(FeedForwardBlock(Norm3.Forward(x)));
        }
        x = Norm1.Forward(x.Add(SelfAttentionBlock(x, input)));
        x = Norm2.Forward(x.Add(CrossAttentionBlock(x, input)));
        return Norm3.Forward(x.Add(FeedForwardBlock(x)));
    }

    /// <inheritdoc />
    public override string ExtraRepr() => $"norm_first={PyBool(NormFirst)}";

    private Tensor SelfAttentionBlock(Tensor x, DecoderInput input) =>
        Dropout1.Forward(SelfAttn.Forward(new AttentionInput(x) { AttentionMask = input.TargetMask, KeyPaddingMask = input.TargetKeyPaddingMask }).Output);

    private Tensor CrossAttentionBlock(Tensor x, DecoderInput input) =>
        Dropout2.Forward(MultiheadAttn.Forward(new AttentionInput(x, input.Memory) { AttentionMask = input.MemoryMask, KeyPaddingMask = input.MemoryKeyPaddingMask }).Output);

    private Tensor FeedForwardBlock(Tensor x) => Dropout3.Forward(Linear2.Forward(Dropout.Forward(Activation.Forward(Linear1.Forward(x)))));
}

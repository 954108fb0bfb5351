using Forge.Tensors;

namespace Forge.Nn;

/// <summary>A stack of encoder layers (named layers.0, layers.1, ...) and an optional final normalization (PyTorch's nn.TransformerEncoder).</summary>
public class TransformerEncoder : Module<EncoderInput, Tensor>
{
    /// <summary>A stack of <paramref name="numLayers"/> layers made by <paramref name="createLayer"/> (given each index), then <paramref name="norm"/>.</summary>
    public TransformerEncoder(Func<int, TransformerEncoderLayer> createLayer, int numLayers, Module<Tensor, Tensor>? norm = null)
        : this(Enumerable.Range(0, numLayers).Select(createLayer ?? throw new ArgumentNullException(nameof(createLayer))), norm) { }

    /// <summary>A stack of <paramref name="layers"/>, then <paramref name="norm"/>.</summary>
    public TransformerEncoder(IEnumerable<TransformerEncoderLayer> layers, Module<Tensor, Tensor>? norm = null)
    {
        Layers = new ModuleList<TransformerEncoderLayer>(layers);
        Norm = norm;
    }

    /// <summary>The layers, applied in order.</summary>
    public ModuleList<TransformerEncoderLayer> Layers { get; set; }

    /// <summary>The final normalization, or null.</summary>
    public Module<Tensor, Tensor>? Norm { get; set; }

    /// <summary>Encodes <paramref name="source"/> [batch, length, dModel] with optional masks (see <see cref="EncoderInput"/>).</summary>
    public Tensor Forward(Tensor source, Tensor? mask = null, Tensor? keyPaddingMask = null) => Forward(new EncoderInput(source, mask, keyPaddingMask));

    /// <inheritdoc />
    protected override Tensor ForwardCore(EncoderInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Tensor x = input.Source;
        foreach (TransformerEncoderLayer layer in Layers) x = layer.Forward(input with { Source = x });
        return Norm is null ? x : Norm.Forward(x);
    }
}

/// <summary>A stack of decoder layers (named layers.0, layers.1, ...) and an optional final normalization (PyTorch's nn.TransformerDecoder).</summary>
public class TransformerDecoder : Module<DecoderInput, Tensor>
{
    /// <summary>A stack of <paramref name="numLayers"/> layers made by <paramref name="createLayer"/> (given each index), then <paramref name="norm"/>.</summary>
    public TransformerDecoder(Func<int, TransformerDecoderLayer> createLayer, int numLayers, Module<Tensor, Tensor>? norm = null)
        : this(Enumerable.Range(0, numLayers).Select(createLayer ?? throw new ArgumentNullException(nameof(createLayer))), norm) { }

    /// <summary>A stack of <paramref name="layers"/>, then <paramref name="norm"/>.</summary>
    public TransformerDecoder(IEnumerable<TransformerDecoderLayer> layers, Module<Tensor, Tensor>? norm = null)
    {
        Layers = new ModuleList<TransformerDecoderLayer>(layers);
        Norm = norm;
    }

    /// <summary>The layers, applied in order.</summary>
    public ModuleList<TransformerDecoderLayer> Layers { get; set; }

    /// <summary>The final normalization, or null.</summary>
    public Module<Tensor, Tensor>? Norm { get; set; }

    /// <summary>Decodes <paramref name="target"/> attending to <paramref name="memory"/>, with optional masks (see <see cref="DecoderInput"/>).</summary>
    public Tensor Forward(Tensor target, Tensor memory, Tensor? targetMask = null, Tensor? memoryMask = null, Tensor? targetKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null) =>
        Forward(new DecoderInput(target, memory, targetMask, memoryMask, targetKeyPaddingMask, memoryKeyPaddingMask));

    /// <inheritdoc />
    protected override Tensor ForwardCore(DecoderInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Tensor x = input.Target;
        foreach (TransformerDecoderLayer layer in Layers) x = layer.Forward(input with { Target = x });
        return Norm is null ? x : Norm.Forward(x);
    }
}

using Forge.Generation;
using Forge.Nn;
using Forge.Tensors;

namespace Forge.Models.Gpt2;

/// <summary>
/// GPT-2 with its language-modelling head (Hugging Face's <c>GPT2LMHeadModel</c>): token ids [batch, length] in, next-token logits
/// [batch, length, vocab] out. With tied embeddings (the default) the head is the token embedding matrix and the state dict holds
/// no <c>lm_head.weight</c>, as in Hugging Face's saved files.
/// </summary>
public sealed partial class Gpt2LanguageModel : Module<Tensor, Tensor>, ICausalLanguageModel
{
    /// <summary>A randomly initialized model; <paramref name="seed"/> fixes the initial weights and the dropout masks.</summary>
    public Gpt2LanguageModel(Gpt2Config config, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Generator = new Generator(seed);
        Transformer = new Gpt2Model(config, Generator);
        if (!config.TieWordEmbeddings)
        {
            LmHead = new Linear(config.NEmbd, config.VocabSize, bias: false);
            Init.Normal(LmHead.Weight, 0, config.InitializerRange, Generator);
        }
    }

    /// <summary>The configuration.</summary>
    public Gpt2Config Config { get; }

    /// <summary>The random generator of the dropout masks (save and restore its state to resume training exactly).</summary>
    public Generator Generator { get; }

    /// <summary>The trunk.</summary>
    public Gpt2Model Transformer { get; set; }

    /// <summary>The output projection when embeddings are not tied; null when tied.</summary>
    [StateName("lm_head")]
    public Linear? LmHead { get; set; }

    /// <inheritdoc />
    public int VocabularySize => Config.VocabSize;

    /// <inheritdoc />
    public int ContextLength => Config.NPositions;

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Logits(input);

    /// <inheritdoc />
    public bool SupportsFixedShapeCache => true;

    /// <inheritdoc />
    public Tensor Logits(Tensor inputIds, KeyValueCache? cache = null)
    {
        Tensor hidden = Transformer.Forward(new Gpt2Model.Input(inputIds, cache));
        return LmHead is null ? hidden.MatMul(Transformer.Wte.Weight.MT) : LmHead.Forward(hidden);
    }

    /// <summary>
    /// The mean next-token cross-entropy (nats) of <paramref name="inputIds"/> against <paramref name="targets"/> [batch, length];
    /// targets of -100 are ignored. With the tied head, backward writes the logits' gradient over the logits (which nothing else
    /// sees), so the loss can be backpropagated once.
    /// </summary>
    public Tensor Loss(Tensor inputIds, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        Tensor logits = Logits(inputIds).Reshape(-1, Config.VocabSize);
        return LmHead is null
            ? Functional.CrossEntropyOfTemporaryLogits(logits, targets.Reshape(-1))
            : Functional.CrossEntropy(logits, targets.Reshape(-1));
    }
}

using Forge.Nn;
using Forge.Tensors;

namespace Forge.Models;

/// <summary>The activations and losses Hugging Face's encoder heads share.</summary>
internal static class HeadFunctions
{
    /// <summary>Whether <paramref name="name"/> is an activation Forge applies: gelu (exact), gelu_new or gelu_pytorch_tanh (tanh approximation), relu.</summary>
    public static bool IsActivation(string name) => name is "gelu" or "gelu_new" or "gelu_pytorch_tanh" or "relu";

    /// <summary>Applies the activation called <paramref name="name"/> (see <see cref="IsActivation"/>).</summary>
    public static Tensor Activate(string name, Tensor x) => name switch
    {
        "gelu" => x.Gelu(),
        "relu" => x.Relu(),
        _ => x.Gelu(GeluApproximation.Tanh),
    };

    /// <summary>
    /// Hugging Face's sequence-classification loss: mean squared error for regression (the problem type, or one label), cross-entropy
    /// for Int64 labels [batch] (single-label), binary cross-entropy with logits for Float32 labels [batch, labels] (multi-label).
    /// </summary>
    public static Tensor SequenceClassificationLoss(Tensor logits, Tensor labels, int numLabels, string? problemType)
    {
        ArgumentNullException.ThrowIfNull(labels);
        string kind = problemType ?? (numLabels == 1 ? "regression"
            : labels.DType == DType.Int64 ? "single_label_classification" : "multi_label_classification");
        switch (kind)
        {
            case "regression":
                Tensor target = labels.To(DType.Float32);
                return numLabels == 1 ? Functional.MseLoss(logits.Reshape(-1), target.Reshape(-1)) : Functional.MseLoss(logits, target);
            case "single_label_classification":
                if (labels.DType != DType.Int64) throw new ForgeException($"Single-label classification needs Int64 class labels, found {labels.DType}.");
                return Functional.CrossEntropy(logits.Reshape(-1, numLabels), labels.Reshape(-1));
            default:
                return Functional.BinaryCrossEntropyWithLogits(logits, labels.To(DType.Float32));
        }
    }

    /// <summary>Cross-entropy of per-position logits [batch, length, classes] against Int64 labels [batch, length]; labels of -100 are ignored.</summary>
    public static Tensor TokenLoss(Tensor logits, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.DType != DType.Int64) throw new ForgeException($"Token labels must be Int64 (-100 to ignore a position), found {labels.DType}.");
        return Functional.CrossEntropy(logits.Reshape(-1, logits.Size(-1)), labels.Reshape(-1));
    }

    /// <summary>
    /// The masked-language-model loss computed on the scored positions only: the hidden states [batch, length, hidden] at the
    /// positions whose label is not -100 are gathered before <paramref name="head"/> maps them onto the vocabulary, so the
    /// vocabulary projection runs on those positions (about 15% in pretraining) instead of all. Equal to
    /// <see cref="TokenLoss"/> of the head's output on every position, gradients included.
    /// </summary>
    public static Tensor MaskedTokenLoss(Tensor hidden, Tensor labels, Func<Tensor, Tensor> head)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.DType != DType.Int64) throw new ForgeException($"Token labels must be Int64 (-100 to ignore a position), found {labels.DType}.");
        if (labels.Numel * hidden.Size(-1) != hidden.Numel)
            throw new ForgeException($"The labels (shape [{string.Join(", ", labels.Shape)}]) must have one entry per position of the hidden states (shape [{string.Join(", ", hidden.Shape)}]).");
        long[] all = labels.ToArray<long>();
        var positions = new List<long>();
        var targets = new List<long>();
        for (int i = 0; i < all.Length; i++)
        {
            if (all[i] == -100) continue;
            positions.Add(i);
            targets.Add(all[i]);
        }
        if (positions.Count == 0) return TokenLoss(head(hidden), labels);
        Tensor index = Tensor.FromArray(positions.ToArray(), positions.Count).To(hidden.Device);
        Tensor selected = hidden.Reshape(-1, hidden.Size(-1)).IndexSelect(0, index);
        return Functional.CrossEntropy(head(selected), Tensor.FromArray(targets.ToArray(), targets.Count).To(labels.Device));
    }

    /// <summary>
    /// The additive attention mask Hugging Face extends a [batch, length] padding mask (1 real, 0 padding) to: [batch, 1, 1, length],
    /// 0 at real keys and the most negative float at padding, added to the scores. Null when <paramref name="attentionMask"/> is null.
    /// </summary>
    public static Tensor? ExtendedAttentionMask(Tensor? attentionMask, Tensor inputIds, string model)
    {
        if (attentionMask is null) return null;
        if (!attentionMask.Shape.SequenceEqual(inputIds.Shape))
            throw new ForgeException($"{model} attention_mask must have the input ids' shape {Tensor.Format(inputIds.Shape)}, found {Tensor.Format(attentionMask.Shape)}.");
        Tensor mask = attentionMask.To(DType.Float32);
        return mask.Neg().Add(1f).Mul(float.MinValue).Unsqueeze(1).Unsqueeze(1);
    }

    /// <summary>A linear layer initialized as Hugging Face's BERT-family models are: weight N(0, std²), bias 0.</summary>
    public static Linear Linear(int inFeatures, int outFeatures, double std, Generator generator, bool bias = true)
    {
        var linear = new Linear(inFeatures, outFeatures, bias, generator);
        Init.Normal(linear.Weight, 0, std, generator);
        if (linear.Bias is not null) Init.Zeros(linear.Bias);
        return linear;
    }

    /// <summary>An embedding table N(0, std²) with the padding row, when given, zero.</summary>
    public static Embedding Embedding(int count, int width, double std, Generator generator, int? paddingIndex = null)
    {
        var embedding = new Embedding(count, width, paddingIndex, generator);
        Init.Normal(embedding.Weight, 0, std, generator);
        if (paddingIndex is int p)
        {
            using var noGrad = Forge.Autograd.GradMode.NoGrad();
            embedding.Weight.Select(0, p).Zero();
        }
        return embedding;
    }
}

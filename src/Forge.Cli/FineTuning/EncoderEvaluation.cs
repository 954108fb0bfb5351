using Forge.Autograd;
using Forge.Data;
using Forge.Tensors;

namespace Forge.Cli.FineTuning;

/// <summary>What one evaluation pass gives: the mean loss and each example's logits.</summary>
/// <param name="Loss">The loss averaged over the batches, weighted by their examples.</param>
/// <param name="Logits">Per example: [labels] for a sequence, [length × labels] (its own length, row-major) for tokens.</param>
internal sealed record EncoderPass(double Loss, IReadOnlyList<float[]> Logits);

/// <summary>Runs an <see cref="EncoderModel"/> over encoded examples in evaluation mode without gradients.</summary>
internal static class EncoderEvaluation
{
    /// <summary>The loss and logits of <paramref name="examples"/>, in batches of <paramref name="batchSize"/> padded to their longest.</summary>
    public static EncoderPass Run(EncoderModel model, IReadOnlyList<EncodedExample> examples, int batchSize, int padTokenId)
    {
        bool training = model.Module.Training;
        model.Module.Eval();
        try
        {
            using var noGrad = GradMode.NoGrad();
            var logits = new List<float[]>(examples.Count);
            double loss = 0;
            for (int start = 0; start < examples.Count; start += batchSize)
            {
                EncodedExample[] part = [.. examples.Skip(start).Take(batchSize)];
                LabeledBatch batch = LabeledBatch.Collate(part, padTokenId);
                Tensor output = model.Logits(batch);
                loss += Forge.Nn.Functional.CrossEntropy(output.Reshape(-1, output.Size(-1)), batch.Labels.Reshape(-1)).Item() * part.Length;
                float[] values = output.ToArray<float>();
                int row = values.Length / part.Length;
                int labels = output.Size(-1);
                for (int b = 0; b < part.Length; b++)
                {
                    int length = output.Dim == 2 ? labels : part[b].InputIds.Length * labels;
                    logits.Add(values.AsSpan(b * row, length).ToArray());
                }
            }
            return new EncoderPass(examples.Count == 0 ? double.NaN : loss / examples.Count, logits);
        }
        finally
        {
            model.Module.Train(training);
        }
    }

    /// <summary>The index of the largest of <paramref name="count"/> values from <paramref name="offset"/>.</summary>
    public static int ArgMax(float[] values, int offset, int count)
    {
        int best = 0;
        for (int i = 1; i < count; i++)
        {
            if (values[offset + i] > values[offset + best]) best = i;
        }
        return best;
    }

    /// <summary>
    /// The scores Hugging Face's text-classification pipeline reports for a config's <paramref name="problemType"/>: the logits as they
    /// are for regression, sigmoids for multi-label classification or a single label, softmax probabilities otherwise.
    /// </summary>
    public static double[] Scores(float[] logits, string? problemType) => problemType switch
    {
        "regression" => [.. logits.Select(l => (double)l)],
        "multi_label_classification" => Sigmoids(logits),
        _ when logits.Length == 1 => Sigmoids(logits),
        _ => Softmax(logits),
    };

    private static double[] Sigmoids(float[] logits) => [.. logits.Select(l => 1 / (1 + Math.Exp(-(double)l)))];

    /// <summary>The softmax of <paramref name="logits"/>, in double precision.</summary>
    public static double[] Softmax(float[] logits)
    {
        double max = logits.Max();
        double[] e = [.. logits.Select(l => Math.Exp(l - max))];
        double sum = e.Sum();
        return [.. e.Select(v => v / sum)];
    }
}

using System.Diagnostics;
using Forge.Autograd;
using Forge.Nn;
using Forge.Optim;
using Forge.Tensors;
using Xunit;
using Xunit.Abstractions;
using F = Forge.Nn.Functional;

namespace Forge.Tests.Nn;

/// <summary>
/// A tiny Transformer built from the modules learns to reverse sequences of random digits: token and learned position
/// embeddings, two bidirectional pre-norm encoder layers, a final norm and a linear head, trained with AdamW. Output position
/// i must name input token L−1−i, which only attention across positions can route.
/// </summary>
public class TransformerLearningTests(ITestOutputHelper output)
{
    private const int Vocabulary = 10, Length = 8, Width = 32;

    private sealed class Reverser : Module<Tensor, Tensor>
    {
        public Reverser(Generator generator)
        {
            TokenEmbedding = new Embedding(Vocabulary, Width, generator: generator);
            PositionEmbedding = new Embedding(Length, Width, generator: generator);
            Encoder = new TransformerEncoder(_ => new TransformerEncoderLayer(Width, 4, 64, dropout: 0, normFirst: true, generator: generator), 2, new LayerNorm(Width));
            Head = new Linear(Width, Vocabulary, generator: generator);
        }

        public Embedding TokenEmbedding { get; }

        public Embedding PositionEmbedding { get; }

        public TransformerEncoder Encoder { get; }

        public Linear Head { get; }

        protected override Tensor ForwardCore(Tensor input)
        {
            Tensor positions = Tensor.Arange(Length);
            Tensor x = TokenEmbedding.Forward(input).Add(PositionEmbedding.Forward(positions));
            return Head.Forward(Encoder.Forward(x));
        }
    }

    [Fact]
    public void TinyTransformerLearnsToReverseSequences()
    {
        var generator = new Generator(7);
        var model = new Reverser(generator);
        var optimizer = new AdamW(ParameterGroups.WithNoDecay(model, 0.01), learningRate: 3e-3);
        var clock = Stopwatch.StartNew();
        const int steps = 200, batch = 64;
        float loss = float.NaN;
        for (int step = 0; step < steps; step++)
        {
            var (inputs, targets) = Batch(batch, generator);
            Tensor logits = model.Forward(inputs);
            Tensor l = F.CrossEntropy(logits.Reshape(-1, Vocabulary), targets.Reshape(-1));
            model.ZeroGrad();
            l.Backward();
            optimizer.Step();
            if (step % 50 == 0 || step == steps - 1)
            {
                loss = l.Item();
                output.WriteLine($"step {step}: loss {loss:F4} at {clock.Elapsed.TotalSeconds:F1} s");
            }
        }
        model.Eval();
        var (testInputs, testTargets) = Batch(1024, new Generator(12345));
        Tensor predictions;
        using (GradMode.NoGrad()) predictions = model.Forward(testInputs).ArgMax(-1);
        long[] predicted = predictions.ToArray<long>(), expected = testTargets.ToArray<long>();
        double accuracy = predicted.Zip(expected).Count(p => p.First == p.Second) / (double)expected.Length;
        output.WriteLine($"held-out token accuracy {accuracy:P2} after {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(accuracy > 0.99, $"held-out token accuracy {accuracy:P2}, final training loss {loss}");
    }

    /// <summary>Random digit sequences and their reversals.</summary>
    private static (Tensor Inputs, Tensor Targets) Batch(int count, Generator generator)
    {
        Tensor inputs = Tensor.RandInt(0, Vocabulary, [count, Length], generator);
        long[] values = inputs.ToArray<long>();
        var reversed = new long[values.Length];
        for (int row = 0; row < count; row++)
            for (int i = 0; i < Length; i++) reversed[row * Length + i] = values[row * Length + Length - 1 - i];
        return (inputs, Tensor.FromArray(reversed, count, Length));
    }
}

using Forge.Nn;
using Forge.Optim;
using Forge.Serialization;
using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Docs;

using Functional = Forge.Nn.Functional;

/// <summary>The C# example of the README, run as written (only the file location differs), so the README cannot rot.</summary>
public sealed class ReadmeExampleTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("forge-readme-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void TheReadmeExampleTrainsSavesLoadsAndPredicts()
    {
        string path = Path.Combine(root, "circle.safetensors");

        // --- README example begins ---
        // A classifier: is a point inside the unit circle? 2 inputs -> 32 hidden -> 2 classes.
        var model = new Sequential(new Linear(2, 32), new Relu(), new Linear(32, 2));
        var optimizer = new AdamW(model.Parameters(), learningRate: 0.01);
        var random = new Generator(seed: 0);
        for (int step = 0; step < 500; step++)
        {
            Tensor x = Tensor.Randn([64, 2], random);
            Tensor y = x.Square().Sum(1).Lt(1.0).To(DType.Int64);    // 1 inside the circle, 0 outside
            Tensor loss = Functional.CrossEntropy(model.Forward(x), y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        SafeTensors.Save(path, model.StateDict());                    // Hugging Face's safetensors format

        var restored = new Sequential(new Linear(2, 32), new Relu(), new Linear(32, 2));
        restored.LoadStateDict(SafeTensors.Load(path));
        restored.Eval();
        Tensor points = Tensor.FromArray(new float[] { 0.1f, 0.2f, 1.5f, -1.5f }, 2, 2);
        long[] classes = restored.Forward(points).ArgMax(1).ToArray<long>();
        Console.WriteLine(string.Join(", ", classes));                // 1, 0
        // --- README example ends ---

        Assert.Equal([1L, 0L], classes);
    }
}

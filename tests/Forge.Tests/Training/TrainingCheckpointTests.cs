using System.Text.Json.Nodes;
using Forge.Nn;
using Forge.Optim;
using Forge.Optim.Schedulers;
using Forge.Tensors;
using Forge.Training;
using Xunit;
using F = Forge.Nn.Functional;

namespace Forge.Tests.Training;

public sealed class TrainingCheckpointTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("forge-training-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>A two-layer regressor with dropout, so the random generator's state matters.</summary>
    private sealed class Regressor : Module<Tensor, Tensor>
    {
        public Regressor(int hidden, Generator init)
        {
            Hidden = new Parameter(Tensor.Randn([hidden, 3], init).Mul(0.5f));
            Output = new Parameter(Tensor.Randn([1, hidden], init).Mul(0.5f));
        }

        public Parameter Hidden { get; }

        public Parameter Output { get; }

        public Generator Dropout { get; } = new(99);

        protected override Tensor ForwardCore(Tensor input) =>
            F.Linear(F.Dropout(F.Linear(input, Hidden).Tanh(), 0.2f, Training, Dropout), Output);
    }

    private sealed record Run(Regressor Model, AdamW Optimizer, CosineAnnealingLR Scheduler);

    private static Run NewRun(int hidden = 8)
    {
        var model = new Regressor(hidden, new Generator(1));
        var optimizer = new AdamW(model.Parameters(), learningRate: 0.05);
        return new Run(model, optimizer, new CosineAnnealingLR(optimizer, 20));
    }

    private static float Step(Run run, int step)
    {
        var data = new Generator((ulong)step + 1000);
        Tensor x = Tensor.Randn([16, 3], data);
        Tensor y = x.Sum(1, keepDim: true).Sin();
        run.Optimizer.ZeroGrad();
        Tensor loss = F.MseLoss(run.Model.Forward(x), y);
        loss.Backward();
        run.Optimizer.Step();
        run.Scheduler.Step();
        return loss.Item();
    }

    [Fact]
    public void ResumingFromACheckpointReproducesTheUninterruptedLosses()
    {
        Run straight = NewRun();
        float[] expected = [.. Enumerable.Range(0, 10).Select(i => Step(straight, i))];

        Run first = NewRun();
        for (int i = 0; i < 5; i++) Step(first, i);
        string directory = Path.Combine(root, "step-5");
        TrainingCheckpoint.Save(directory, first.Model, 5, first.Optimizer, first.Scheduler, first.Model.Dropout, new JsonObject { ["position"] = 5 });

        Run resumed = NewRun();
        TrainingCheckpointState state = TrainingCheckpoint.Load(directory, resumed.Model, resumed.Optimizer, resumed.Scheduler, resumed.Model.Dropout);
        Assert.Equal(5, state.Step);
        Assert.Equal(5, (int)state.Extra["position"]!);
        float[] after = [.. Enumerable.Range(5, 5).Select(i => Step(resumed, i))];
        Assert.Equal(expected[5..], after);
    }

    [Fact]
    public void WithoutTheGeneratorStateTheDropoutMasksDiffer()
    {
        Run straight = NewRun();
        float[] expected = [.. Enumerable.Range(0, 8).Select(i => Step(straight, i))];
        Run first = NewRun();
        for (int i = 0; i < 4; i++) Step(first, i);
        string directory = Path.Combine(root, "step-4");
        TrainingCheckpoint.Save(directory, first.Model, 4, first.Optimizer, first.Scheduler);
        Run resumed = NewRun();
        TrainingCheckpoint.Load(directory, resumed.Model, resumed.Optimizer, resumed.Scheduler);
        Assert.NotEqual(expected[4], Step(resumed, 4));
    }

    [Fact]
    public void ACheckpointOfAnotherModelIsRejected()
    {
        Run small = NewRun(hidden: 8);
        string directory = Path.Combine(root, "small");
        TrainingCheckpoint.Save(directory, small.Model, 0, small.Optimizer);
        Run large = NewRun(hidden: 16);
        var e = Assert.Throws<ForgeException>(() => TrainingCheckpoint.Load(directory, large.Model, large.Optimizer));
        Assert.Contains("hidden", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AskingForAPartTheCheckpointLacksIsAnErrorThatChangesNothing()
    {
        Run run = NewRun();
        string directory = Path.Combine(root, "weights-only");
        TrainingCheckpoint.Save(directory, run.Model, 3);
        Run other = NewRun();
        other.Model.Hidden.Fill(7);
        var e = Assert.Throws<ForgeException>(() => TrainingCheckpoint.Load(directory, other.Model, other.Optimizer));
        Assert.Contains("no optimizer state", e.Message, StringComparison.Ordinal);
        Assert.All(other.Model.Hidden.ToArray<float>(), v => Assert.Equal(7, v));
        Assert.Equal(3, TrainingCheckpoint.Load(directory, other.Model).Step);
    }

    [Fact]
    public void APlainCheckpointIsNotATrainingCheckpoint()
    {
        string directory = Path.Combine(root, "plain");
        Forge.Serialization.Checkpoint.Save(directory, new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(2) }, []);
        var e = Assert.Throws<ForgeException>(() => TrainingCheckpoint.Load(directory, NewRun().Model));
        Assert.Contains("not a Forge training checkpoint", e.Message, StringComparison.Ordinal);
    }
}

using System.Text.Json.Nodes;
using Forge.Serialization;
using Forge.Tensors;
using Xunit;
using static Forge.Tests.Serialization.SerializationSupport;

namespace Forge.Tests.Serialization;

public sealed class CheckpointTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private static Dictionary<string, Tensor> Weights(float value) => new()
    {
        ["layer.weight"] = Tensor.Full([2, 2], value),
        ["layer.bias"] = Tensor.FromArray([value, -value]),
    };

    private static JsonObject State(long step) => new()
    {
        ["step"] = step,
        ["optimizer"] = new JsonObject { ["lr"] = 3e-4, ["betas"] = new JsonArray(0.9, 0.999) },
        ["rng"] = new JsonArray(1UL, 2UL, 3UL, 4UL),
        ["data"] = new JsonObject { ["epoch"] = 1, ["offset"] = 4096 },
    };

    private string Save(long step, float value, string? root = null)
    {
        string directory = Checkpoint.StepDirectory(root ?? temp.Path, step);
        Checkpoint.Save(directory, Weights(value), State(step));
        return directory;
    }

    [Fact]
    public void SaveThenLoadRoundTripsWeightsStateAndOptimizerTensors()
    {
        string directory = temp.File("run");
        var optimizer = new Dictionary<string, Tensor> { ["layer.weight.exp_avg"] = Tensor.Full([2, 2], 0.5), ["layer.weight.step"] = Tensor.FromArray([12L]) };

        Checkpoint.Save(directory, Weights(3), State(12), optimizer);
        CheckpointData loaded = Checkpoint.Load(directory);

        foreach (var (name, tensor) in Weights(3)) Identical(tensor, loaded.Weights[name]);
        Assert.NotNull(loaded.OptimizerTensors);
        foreach (var (name, tensor) in optimizer) Identical(tensor, loaded.OptimizerTensors[name]);
        Assert.True(JsonNode.DeepEquals(State(12), loaded.State));
        Assert.Equal(12, loaded.State["step"]!.GetValue<long>());
        Assert.Equal(["model.safetensors", "optimizer.safetensors", "state.json"], Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal([directory], Directory.GetDirectories(temp.Path));
    }

    [Fact]
    public void CheckpointWithoutOptimizerTensorsLoadsNullOptimizer()
    {
        string directory = Save(1, 1);

        CheckpointData loaded = Checkpoint.Load(directory);

        Assert.Null(loaded.OptimizerTensors);
        Assert.False(File.Exists(Path.Combine(directory, Checkpoint.OptimizerFile)));
    }

    [Fact]
    public void LoadedWeightsAreOwnedCopiesSoTheCheckpointCanBeDeleted()
    {
        string directory = Save(1, 2);
        CheckpointData loaded = Checkpoint.Load(directory);

        Directory.Delete(directory, recursive: true);

        Assert.Equal([2f, -2f], loaded.Weights["layer.bias"].ToArray<float>());
        Assert.All(loaded.Weights.Values, t => Assert.IsNotType<MappedRegion>(t.Storage.Owner));
    }

    [Fact]
    public void IsCompleteNeedsTheStateFileThatIsWrittenLast()
    {
        string directory = Save(5, 1);
        Assert.True(Checkpoint.IsComplete(directory));

        File.Delete(Path.Combine(directory, Checkpoint.StateFile));

        Assert.False(Checkpoint.IsComplete(directory));
        var error = Assert.Throws<ForgeException>(() => Checkpoint.Load(directory));
        Assert.Contains(directory, error.Message, StringComparison.Ordinal);
        Assert.Contains("incomplete", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindLatestIgnoresTemporaryIncompleteAndUnrelatedDirectories()
    {
        Save(2, 1);
        string latest = Save(10, 1);
        Save(9, 1);
        string halfWritten = temp.File("step-20.tmp-abc123");
        Directory.CreateDirectory(halfWritten);
        SafeTensors.Save(Path.Combine(halfWritten, Checkpoint.ModelFile), Weights(1));
        Directory.CreateDirectory(temp.File("step-30"));
        Save(40, 1, temp.File("elsewhere"));
        Directory.CreateDirectory(temp.File("step-x"));
        Directory.CreateDirectory(temp.File("best"));

        Assert.Equal(latest, Checkpoint.FindLatest(temp.Path));
    }

    [Fact]
    public void FindLatestOfAMissingOrEmptyRootIsNull()
    {
        Assert.Null(Checkpoint.FindLatest(temp.File("nothing-here")));
        Assert.Null(Checkpoint.FindLatest(temp.Path));
    }

    [Fact]
    public void OverwritingACheckpointReplacesItCompletely()
    {
        string directory = temp.File("latest");
        Checkpoint.Save(directory, Weights(1), State(1), new Dictionary<string, Tensor> { ["m"] = Tensor.Ones(2) });

        Checkpoint.Save(directory, Weights(2), State(2));

        CheckpointData loaded = Checkpoint.Load(directory);
        Assert.Equal(2, loaded.State["step"]!.GetValue<long>());
        Assert.Equal([2f, -2f], loaded.Weights["layer.bias"].ToArray<float>());
        Assert.Null(loaded.OptimizerTensors);
        Assert.Equal([directory], Directory.GetDirectories(temp.Path));
    }

    [Fact]
    public void AFailedSaveKeepsThePreviousCheckpoint()
    {
        string directory = temp.File("latest");
        Checkpoint.Save(directory, Weights(1), State(1));

        Assert.Throws<ForgeException>(() => Checkpoint.Save(directory, new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Ones(1) }, State(2)));

        Assert.Equal(1, Checkpoint.Load(directory).State["step"]!.GetValue<long>());
        Assert.Equal([directory], Directory.GetDirectories(temp.Path));
    }

    [Fact]
    public void LoadRecoversFromASaveKilledBetweenItsTwoRenames()
    {
        string directory = temp.File("latest");
        Checkpoint.Save(directory, Weights(1), State(1));
        string finished = temp.File("latest.tmp-000001");
        Checkpoint.Save(finished, Weights(2), State(2));
        Directory.Move(directory, temp.File("latest.old-000002"));

        CheckpointData loaded = Checkpoint.Load(directory);

        Assert.Equal(2, loaded.State["step"]!.GetValue<long>());
    }

    [Fact]
    public void LoadFallsBackToTheOldCheckpointWhenTheNewOneIsUnfinished()
    {
        string directory = temp.File("latest");
        Checkpoint.Save(directory, Weights(1), State(1));
        Directory.Move(directory, temp.File("latest.old-000002"));
        Directory.CreateDirectory(temp.File("latest.tmp-000001"));

        Assert.Equal(1, Checkpoint.Load(directory).State["step"]!.GetValue<long>());
    }

    [Fact]
    public void LoadOfAMissingCheckpointNamesTheDirectory()
    {
        string directory = temp.File("step-404");

        var error = Assert.Throws<ForgeException>(() => Checkpoint.Load(directory));

        Assert.Contains(directory, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptStateFileIsAForgeExceptionNamingTheFile()
    {
        string directory = Save(3, 1);
        string state = Path.Combine(directory, Checkpoint.StateFile);
        File.WriteAllText(state, "{\"step\": ");

        var error = Assert.Throws<ForgeException>(() => Checkpoint.Load(directory));

        Assert.Contains(state, error.Message, StringComparison.Ordinal);
        File.WriteAllText(state, "[1, 2]");
        Assert.Contains("must hold a JSON object", Assert.Throws<ForgeException>(() => Checkpoint.Load(directory)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptWeightsAreAForgeExceptionNamingTheFile()
    {
        string directory = Save(3, 1);
        string model = Path.Combine(directory, Checkpoint.ModelFile);
        File.WriteAllBytes(model, [1, 2, 3]);

        var error = Assert.Throws<ForgeException>(() => Checkpoint.Load(directory));

        Assert.Contains(model, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PruneKeepsTheLastCheckpointsAndTheOnesMarkedToKeep()
    {
        foreach (long step in new long[] { 100, 200, 300, 400, 500 }) Save(step, 1);
        string halfWritten = temp.File("step-50.tmp-abc");
        Directory.CreateDirectory(halfWritten);

        IReadOnlyList<string> deleted = Checkpoint.Prune(temp.Path, keepLast: 2, keep: new HashSet<string> { "step-200" });

        Assert.Equal([temp.File("step-300"), temp.File("step-100")], deleted);
        Assert.Equal(["step-200", "step-400", "step-50.tmp-abc", "step-500"], Directory.GetDirectories(temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(temp.File("step-500"), Checkpoint.FindLatest(temp.Path));
    }

    [Fact]
    public void PruneAcceptsFullPathsToKeepAndZeroToKeepOnlyThose()
    {
        Save(1, 1);
        string best = Save(2, 1);
        Save(3, 1);

        Checkpoint.Prune(temp.Path, keepLast: 0, keep: new HashSet<string> { best });

        Assert.Equal([best], Directory.GetDirectories(temp.Path));
        Assert.Throws<ForgeException>(() => Checkpoint.Prune(temp.Path, keepLast: -1));
    }

    [Fact]
    public void StepDirectoryFollowsTheStepNamingThatFindLatestReads()
    {
        Assert.Equal(Path.Combine("runs", "step-42"), Checkpoint.StepDirectory("runs", 42));
        Assert.Throws<ForgeException>(() => Checkpoint.StepDirectory("runs", -1));
    }
}

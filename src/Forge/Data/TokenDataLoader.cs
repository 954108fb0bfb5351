using System.Text.Json.Nodes;
using Forge.Tensors;

namespace Forge.Data;

/// <summary>
/// Yields training batches from a <see cref="TokenDataset"/>: <c>(Input, Target)</c> Int64 tensors of shape
/// <c>[batchSize, sequenceLength]</c>, where target is input shifted by one token. An epoch visits every window of the dataset at
/// most once (<see cref="TokenDataset.WindowCount"/> windows, the last incomplete batch dropped), in an order that is a pure
/// function of (seed, epoch) when shuffling, or in stream order when not. Batches are therefore a pure function of
/// (seed, epoch, position), and <see cref="StateDict"/> / <see cref="LoadStateDict"/> let a resumed run see exactly the batches an
/// uninterrupted run would have seen.
/// </summary>
public sealed class TokenDataLoader : IBatchSource<(Tensor Input, Tensor Target)>
{
    private const string TypeName = nameof(TokenDataLoader);

    private readonly int windowCount;
    private int[]? order;
    private int orderEpoch = -1;

    /// <summary>Creates a loader positioned at the start of epoch 0.</summary>
    /// <param name="dataset">The token stream.</param>
    /// <param name="batchSize">Windows per batch.</param>
    /// <param name="sequenceLength">Tokens per window.</param>
    /// <param name="shuffle">Visit windows in a seeded random order that changes each epoch (training), or in stream order (evaluation).</param>
    /// <param name="seed">The seed of the shuffling.</param>
    /// <param name="device">Where the batch tensors are placed (CPU by default).</param>
    public TokenDataLoader(TokenDataset dataset, int batchSize, int sequenceLength, bool shuffle = true, ulong seed = 0, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize < 1) throw new ForgeException($"The batch size must be at least 1, found {batchSize}.");
        windowCount = dataset.WindowCount(sequenceLength);
        if (windowCount < batchSize)
        {
            throw new ForgeException(
                $"A dataset of {dataset.Count} tokens holds {windowCount} windows of {sequenceLength} + 1 tokens, fewer than one batch of {batchSize}; " +
                "use more text, a shorter sequence length or a smaller batch.");
        }
        Dataset = dataset;
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        Shuffle = shuffle;
        Seed = seed;
        Device = device ?? Device.Cpu;
    }

    /// <summary>The token stream batches are cut from.</summary>
    public TokenDataset Dataset { get; }

    /// <summary>Windows per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Tokens per window.</summary>
    public int SequenceLength { get; }

    /// <summary>Whether each epoch visits the windows in a seeded random order.</summary>
    public bool Shuffle { get; }

    /// <summary>The seed of the shuffling.</summary>
    public ulong Seed { get; private set; }

    /// <summary>Where the batch tensors are placed.</summary>
    public Device Device { get; }

    /// <summary>Full batches in one epoch.</summary>
    public int BatchesPerEpoch => windowCount / BatchSize;

    /// <summary>The epoch of the batch <see cref="Next"/> returned last (0 before the first).</summary>
    public int Epoch { get; private set; }

    /// <summary>How many batches of <see cref="Epoch"/> have been returned; at <see cref="BatchesPerEpoch"/> the next batch starts the next epoch.</summary>
    public int Position { get; private set; }

    /// <inheritdoc cref="Next"/>
    (Tensor Input, Tensor Target) IBatchSource<(Tensor Input, Tensor Target)>.NextBatch() => Next();

    /// <summary>The next batch, moving to the next epoch (with a new order) after the last full batch of an epoch.</summary>
    public (Tensor Input, Tensor Target) Next()
    {
        if (Position == BatchesPerEpoch)
        {
            Epoch = checked(Epoch + 1);
            Position = 0;
        }
        var batch = GetBatch(Epoch, Position);
        Position++;
        return batch;
    }

    /// <summary>Batch <paramref name="index"/> of epoch <paramref name="epoch"/>, without moving the loader.</summary>
    public (Tensor Input, Tensor Target) GetBatch(int epoch, int index)
    {
        if (epoch < 0) throw new ForgeException($"The epoch must be non-negative, found {epoch}.");
        if (index < 0 || index >= BatchesPerEpoch) throw new ForgeException($"The batch index must be in [0, {BatchesPerEpoch}), found {index}.");
        int[]? windows = Shuffle ? OrderOf(epoch) : null;
        int length = SequenceLength;
        var input = new long[BatchSize * length];
        var target = new long[BatchSize * length];
        for (int b = 0; b < BatchSize; b++)
        {
            int slot = index * BatchSize + b;
            Dataset.CopyWindow(windows is null ? slot : windows[slot], length, input.AsSpan(b * length, length), target.AsSpan(b * length, length));
        }
        return (Place(Tensor.FromArray(input, BatchSize, length)), Place(Tensor.FromArray(target, BatchSize, length)));
    }

    /// <summary>
    /// The position to resume from: "seed", "epoch", "position", and the configuration it is valid for ("batch_size",
    /// "sequence_length", "shuffle", "tokens", "fingerprint").
    /// </summary>
    public JsonObject StateDict() => new()
    {
        ["type"] = TypeName,
        ["seed"] = Seed,
        ["epoch"] = Epoch,
        ["position"] = Position,
        ["batch_size"] = BatchSize,
        ["sequence_length"] = SequenceLength,
        ["shuffle"] = Shuffle,
        ["tokens"] = Dataset.Count,
        ["fingerprint"] = Dataset.Fingerprint,
    };

    /// <summary>
    /// Restores a position saved by <see cref="StateDict"/> (the seed included). The batch size, sequence length, shuffling and data
    /// must be the ones it was saved with, otherwise the batches would differ from the interrupted run's and a <see cref="ForgeException"/> says which differs.
    /// </summary>
    public void LoadStateDict(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string? type = state["type"] is JsonValue t && t.TryGetValue(out string? name) ? name : null;
        if (type != TypeName) throw new ForgeException($"The state was saved by '{type}', but this is a {TypeName}.");
        Expect(state, "batch_size", BatchSize);
        Expect(state, "sequence_length", SequenceLength);
        Expect(state, "shuffle", Shuffle);
        Expect(state, "tokens", Dataset.Count);
        Expect(state, "fingerprint", Dataset.Fingerprint);
        int epoch = Read<int>(state, "epoch");
        int position = Read<int>(state, "position");
        if (epoch < 0) throw new ForgeException($"The data loader state's 'epoch' must be non-negative, found {epoch}.");
        if (position < 0 || position > BatchesPerEpoch)
            throw new ForgeException($"The data loader state's 'position' must be in [0, {BatchesPerEpoch}], found {position}.");
        Seed = Read<ulong>(state, "seed");
        Epoch = epoch;
        Position = position;
        order = null;
        orderEpoch = -1;
    }

    private int[] OrderOf(int epoch)
    {
        if (order is null || orderEpoch != epoch)
        {
            int[] windows = [.. Enumerable.Range(0, windowCount)];
            new Generator(EpochSeed(Seed, epoch)).Shuffle(windows);
            order = windows;
            orderEpoch = epoch;
        }
        return order;
    }

    /// <summary>Decorrelates the epochs' shuffles: each epoch gets its own generator stream derived from (seed, epoch).</summary>
    private static ulong EpochSeed(ulong seed, int epoch)
    {
        ulong z = seed ^ ((ulong)(uint)epoch * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private Tensor Place(Tensor tensor) => Device == Device.Cpu ? tensor : tensor.To(Device);

    private static void Expect<T>(JsonObject state, string key, T expected)
    {
        T actual = Read<T>(state, key);
        if (!EqualityComparer<T>.Default.Equals(actual, expected))
            throw new ForgeException($"The data loader state was saved with {key} = {actual}, but this loader has {key} = {expected}; resume with the same data and settings.");
    }

    private static T Read<T>(JsonObject state, string key)
    {
        if (state[key] is JsonValue value && value.TryGetValue(out T? result) && result is not null) return result;
        throw new ForgeException($"The data loader state has no valid '{key}' ({typeof(T).Name}); found {state[key]?.ToJsonString() ?? "nothing"}.");
    }
}

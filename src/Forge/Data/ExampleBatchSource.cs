using System.Text.Json.Nodes;
using Forge.Tensors;

namespace Forge.Data;

/// <summary>
/// Batches of examples drawn by index, for data that is a list of examples (sentences, documents, labeled texts) rather than one
/// token stream. An epoch visits every example once in an order that is a pure function of (seed, epoch) when shuffling; each batch
/// is made by a collate function from its example indices and a generator seeded from (seed, epoch, batch), so random choices made
/// while collating (dynamic masking, say) are reproducible, and a run resumed from <see cref="StateDict"/> sees exactly the batches
/// an uninterrupted one would.
/// </summary>
/// <typeparam name="TBatch">What the collate function builds.</typeparam>
public sealed class ExampleBatchSource<TBatch> : IBatchSource<TBatch>
{
    private const string TypeName = "ExampleBatchSource";

    private readonly Func<IReadOnlyList<int>, Generator, TBatch> collate;
    private int[]? order;
    private int orderEpoch = -1;

    /// <summary>Creates a source positioned at the start of epoch 0.</summary>
    /// <param name="count">How many examples there are.</param>
    /// <param name="batchSize">Examples per batch.</param>
    /// <param name="collate">Builds a batch from the indices of its examples and a generator for its random choices.</param>
    /// <param name="shuffle">Visit the examples in a seeded random order that changes each epoch (training), or in order (evaluation).</param>
    /// <param name="seed">The seed of the order and of the collate generators.</param>
    /// <param name="dropLast">Drop an epoch's last incomplete batch (training) or keep it (evaluation).</param>
    public ExampleBatchSource(int count, int batchSize, Func<IReadOnlyList<int>, Generator, TBatch> collate, bool shuffle = true, ulong seed = 0,
        bool dropLast = true)
    {
        ArgumentNullException.ThrowIfNull(collate);
        if (batchSize < 1) throw new ForgeException($"The batch size must be at least 1, found {batchSize}.");
        if (count < (dropLast ? batchSize : 1))
            throw new ForgeException($"{count} examples make no {(dropLast ? "full " : "")}batch of {batchSize}; use more data or a smaller batch.");
        Count = count;
        BatchSize = batchSize;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        this.collate = collate;
    }

    /// <summary>How many examples there are.</summary>
    public int Count { get; }

    /// <summary>Examples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the examples in a seeded random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether an epoch's last incomplete batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>The seed of the order and of the collate generators.</summary>
    public ulong Seed { get; private set; }

    /// <summary>Batches in one epoch.</summary>
    public int BatchesPerEpoch => DropLast ? Count / BatchSize : (Count + BatchSize - 1) / BatchSize;

    /// <summary>The epoch of the batch <see cref="NextBatch"/> returned last (0 before the first).</summary>
    public int Epoch { get; private set; }

    /// <summary>How many batches of <see cref="Epoch"/> have been returned.</summary>
    public int Position { get; private set; }

    /// <summary>The next batch, moving to the next epoch (with a new order) after the last batch of an epoch.</summary>
    public TBatch NextBatch()
    {
        if (Position == BatchesPerEpoch)
        {
            Epoch = checked(Epoch + 1);
            Position = 0;
        }
        TBatch batch = GetBatch(Epoch, Position);
        Position++;
        return batch;
    }

    /// <summary>Every batch of one epoch in order, without moving the source (an evaluation pass).</summary>
    public IEnumerable<TBatch> EpochBatches(int epoch = 0)
    {
        for (int i = 0; i < BatchesPerEpoch; i++) yield return GetBatch(epoch, i);
    }

    /// <summary>Batch <paramref name="index"/> of epoch <paramref name="epoch"/>, without moving the source.</summary>
    public TBatch GetBatch(int epoch, int index)
    {
        if (epoch < 0) throw new ForgeException($"The epoch must be non-negative, found {epoch}.");
        if (index < 0 || index >= BatchesPerEpoch) throw new ForgeException($"The batch index must be in [0, {BatchesPerEpoch}), found {index}.");
        int start = index * BatchSize;
        int size = Math.Min(BatchSize, Count - start);
        int[] indices = new int[size];
        int[]? shuffled = Shuffle ? OrderOf(epoch) : null;
        for (int i = 0; i < size; i++) indices[i] = shuffled is null ? start + i : shuffled[start + i];
        return collate(indices, new Generator(Mix(Mix(Seed, (ulong)epoch + 1), (ulong)index + 1)));
    }

    /// <summary>The position to resume from, and the configuration it is valid for.</summary>
    public JsonObject StateDict() => new()
    {
        ["type"] = TypeName,
        ["seed"] = Seed,
        ["epoch"] = Epoch,
        ["position"] = Position,
        ["count"] = Count,
        ["batch_size"] = BatchSize,
        ["shuffle"] = Shuffle,
    };

    /// <summary>Restores a position saved by <see cref="StateDict"/>; the data and settings must be the ones it was saved with.</summary>
    public void LoadStateDict(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string? type = state["type"] is JsonValue t && t.TryGetValue(out string? name) ? name : null;
        if (type != TypeName) throw new ForgeException($"The state was saved by '{type}', but this is an {TypeName}.");
        Expect(state, "count", Count);
        Expect(state, "batch_size", BatchSize);
        Expect(state, "shuffle", Shuffle);
        int epoch = Read<int>(state, "epoch");
        int position = Read<int>(state, "position");
        if (epoch < 0 || position < 0 || position > BatchesPerEpoch)
            throw new ForgeException($"The batch source state must have epoch ≥ 0 and position in [0, {BatchesPerEpoch}], found {epoch} and {position}.");
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
            int[] indices = [.. Enumerable.Range(0, Count)];
            new Generator(Mix(Seed, (ulong)epoch)).Shuffle(indices);
            order = indices;
            orderEpoch = epoch;
        }
        return order;
    }

    /// <summary>SplitMix64's finalizer over seed and value: decorrelated streams for each epoch and batch.</summary>
    private static ulong Mix(ulong seed, ulong value)
    {
        ulong z = seed ^ (value * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static void Expect<T>(JsonObject state, string key, T expected)
    {
        T actual = Read<T>(state, key);
        if (!EqualityComparer<T>.Default.Equals(actual, expected))
            throw new ForgeException($"The batch source state was saved with {key} = {actual}, but this source has {key} = {expected}; resume with the same data and settings.");
    }

    private static T Read<T>(JsonObject state, string key)
    {
        if (state[key] is JsonValue value && value.TryGetValue(out T? result) && result is not null) return result;
        throw new ForgeException($"The batch source state has no valid '{key}' ({typeof(T).Name}); found {state[key]?.ToJsonString() ?? "nothing"}.");
    }
}

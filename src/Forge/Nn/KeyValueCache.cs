using Forge.Tensors;

namespace Forge.Nn;

/// <summary>
/// The keys and values that attention layers computed for earlier positions, so incremental decoding feeds only the new
/// tokens (Hugging Face's <c>past_key_values</c>). Each layer appends tensors shaped [batch, heads, positions, head size].
/// Every layer writes into buffers with room for <see cref="Capacity"/> positions (doubled when they fill up), so appending a
/// token copies only that token's keys and values, and the cache hands out views of the filled part.
/// </summary>
/// <remarks>
/// A cache with <see cref="FixedShapes"/> (Hugging Face's <c>StaticCache</c>) never grows and hands out its whole buffers: a
/// model first reserves the positions of its new tokens (<see cref="Reserve"/>), which gives their position ids and an
/// additive attention mask hiding the positions not yet filled, then each layer writes its keys and values at those
/// positions. Every decoding step then has the same shapes, so one step captured into a <see cref="StepGraph"/> can be
/// replayed for every token (the reservation is host work the replay repeats).
/// </remarks>
public sealed class KeyValueCache
{
    private readonly List<Layer?> layers = [];

    /// <summary>Positions filled, for a cache of fixed shapes.</summary>
    private int filled;

    /// <summary>The last reservation's positions [count], position ids [1, count] (a view of them) and mask [count, capacity].</summary>
    private Tensor? positions, positionIds, mask;

    /// <summary>
    /// A cache whose buffers start with room for <paramref name="capacity"/> positions (a model's context length avoids regrowing);
    /// with <paramref name="fixedShapes"/>, exactly that many and never more.
    /// </summary>
    public KeyValueCache(int capacity = 64, bool fixedShapes = false)
    {
        if (capacity < 1) throw new ForgeException($"Cache capacity must be at least 1 position, found {capacity}.");
        Capacity = capacity;
        FixedShapes = fixedShapes;
    }

    /// <summary>Positions the buffers hold before they grow.</summary>
    public int Capacity { get; private set; }

    /// <summary>Whether the buffers keep <see cref="Capacity"/> positions and the model attends over all of them, masked (see remarks).</summary>
    public bool FixedShapes { get; }

    /// <summary>The number of positions cached (those of the first layer; every layer holds the same once a forward pass ends).</summary>
    public int Length => FixedShapes ? filled : layers.Count > 0 && layers[0] is { } first ? first.Length : 0;

    /// <summary>
    /// The additive attention mask [count, capacity] of the last <see cref="Reserve"/>: 0 where new token i (at position
    /// Length + i before the reservation) may attend, −∞ at later positions.
    /// </summary>
    public Tensor Mask => mask ?? throw new ForgeException("No positions of this cache were reserved yet.");

    /// <summary>
    /// For a cache of fixed shapes: takes the next <paramref name="count"/> positions for the new tokens of one forward pass and
    /// returns their Int64 position ids [1, count]; <see cref="Mask"/> is then their attention mask and <see cref="Append"/> writes
    /// at them. Tensors are reused while the count stays the same; a step graph being captured repeats the reservation at
    /// each replay.
    /// </summary>
    public Tensor Reserve(int count)
    {
        if (!FixedShapes) throw new ForgeException("Only a cache of fixed shapes reserves positions; a growing cache appends.");
        if (count < 1) throw new ForgeException($"At least one position must be reserved, found {count}.");
        if (positions is null || positions.Numel != count)
        {
            positions = TensorScope.Keep(Tensor.Zeros([count], DType.Int64));
            positionIds = positions.View(1, count);
            mask = TensorScope.Keep(Tensor.Zeros([count, Capacity]));
        }
        // A replay fills the tensors this step was captured with, even if a later reservation of another count replaced them.
        Tensor ids = positions, visible = mask!;
        void Take() => TakePositions(ids, visible);
        Take();
        StepGraph.Capturing?.AddHostWork(Take);
        return positionIds!;
    }

    /// <summary>Writes the next positions into <paramref name="positionsOf"/> and their mask rows into <paramref name="maskOf"/>, and counts them filled.</summary>
    private void TakePositions(Tensor positionsOf, Tensor maskOf)
    {
        int count = (int)positionsOf.Numel;
        if (filled + count > Capacity)
            throw new ForgeException($"The cache holds {Capacity} positions: {filled} are filled and {count} more do not fit.");
        Span<long> ids = positionsOf.Span<long>();
        Span<float> visible = maskOf.Span<float>();
        for (int i = 0; i < count; i++)
        {
            ids[i] = filled + i;
            Span<float> row = visible.Slice(i * Capacity, Capacity);
            row[..(filled + i + 1)].Clear();
            row[(filled + i + 1)..].Fill(float.NegativeInfinity);
        }
        filled += count;
    }

    /// <summary>The number of sequences (batch rows) cached, or 0 when empty.</summary>
    public int BatchSize => layers.Count > 0 && layers[0] is { } first ? first.Keys.Size(0) : 0;

    /// <summary>
    /// Appends <paramref name="key"/> and <paramref name="value"/> (new positions) to <paramref name="layer"/>'s cache and returns the
    /// keys and values of all positions so far.
    /// </summary>
    public (Tensor Key, Tensor Value) Append(int layer, Tensor key, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (layer < 0) throw new ForgeException($"Cache layer index must be non-negative, found {layer}.");
        if (key.Dim != 4 || value.Dim != 4)
            throw new ForgeException($"Cached keys and values must be [batch, heads, positions, head size], found {Tensor.Format(key.Shape)} and {Tensor.Format(value.Shape)}.");
        while (layers.Count <= layer) layers.Add(null);
        if (FixedShapes) return WriteReserved(layer, key, value);
        int added = key.Size(2);
        Layer entry = layers[layer] ?? new Layer(Buffer(key, Capacity), Buffer(value, Capacity), 0);
        if (entry.Keys.Size(0) != key.Size(0) || entry.Keys.Size(1) != key.Size(1) || entry.Keys.Size(3) != key.Size(3) || entry.Keys.DType != key.DType)
            throw new ForgeException($"Layer {layer} caches [{entry.Keys.Size(0)}, {entry.Keys.Size(1)}, positions, {entry.Keys.Size(3)}] {entry.Keys.DType}, found {Tensor.Format(key.Shape)} {key.DType}.");
        int length = entry.Length + added;
        if (length > entry.Keys.Size(2))
        {
            while (Capacity < length) Capacity *= 2;
            entry = new Layer(Grow(entry.Keys, entry.Length, Capacity), Grow(entry.Values, entry.Length, Capacity), entry.Length);
        }
        entry.Keys.Narrow(2, entry.Length, added).CopyFrom(key);
        entry.Values.Narrow(2, entry.Length, added).CopyFrom(value);
        entry.Length = length;
        layers[layer] = entry;
        return (entry.Keys.Narrow(2, 0, length), entry.Values.Narrow(2, 0, length));
    }

    /// <summary>Writes new keys and values at the reserved positions of a cache of fixed shapes; returns the whole buffers.</summary>
    private (Tensor Key, Tensor Value) WriteReserved(int layer, Tensor key, Tensor value)
    {
        if (positions is null || key.Size(2) != positions.Numel)
            throw new ForgeException($"A cache of fixed shapes writes at reserved positions: reserve the {key.Size(2)} new positions first (Reserve).");
        if (layers[layer] is null && StepGraph.Capturing is not null)
            throw new StepGraphCaptureException("A step graph is captured over a cache of fixed shapes whose buffers do not exist yet: run one step (the prompt) before capturing.");
        Layer entry = layers[layer] ??= new Layer(Buffer(key, Capacity, zeroed: true), Buffer(value, Capacity, zeroed: true), 0);
        if (entry.Keys.Size(0) != key.Size(0) || entry.Keys.Size(1) != key.Size(1) || entry.Keys.Size(3) != key.Size(3) || entry.Keys.DType != key.DType)
            throw new ForgeException($"Layer {layer} caches [{entry.Keys.Size(0)}, {entry.Keys.Size(1)}, positions, {entry.Keys.Size(3)}] {entry.Keys.DType}, found {Tensor.Format(key.Shape)} {key.DType}.");
        entry.Keys.IndexCopyInPlace(2, positions, key);
        entry.Values.IndexCopyInPlace(2, positions, value);
        return (entry.Keys, entry.Values);
    }

    /// <summary>Keeps, for every new row i, the cached row <paramref name="rows"/>[i] (rows may repeat): how beam search follows its beams.</summary>
    public void Reorder(IReadOnlyList<long> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (FixedShapes) throw new ForgeException("A cache of fixed shapes cannot reorder its rows; beam search uses a growing cache.");
        Tensor index = Tensor.FromArray(rows.ToArray(), rows.Count);
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is { } entry)
                layers[i] = new Layer(TensorScope.Keep(entry.Keys.IndexSelect(0, index)), TensorScope.Keep(entry.Values.IndexSelect(0, index)), entry.Length);
        }
    }

    /// <summary>Forgets every position (the buffers are kept for the next sequence).</summary>
    public void Clear()
    {
        filled = 0;
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is { } entry) entry.Length = 0;
        }
    }

    /// <summary>
    /// A kept buffer [batch, heads, capacity, head size] like <paramref name="like"/>; <paramref name="zeroed"/> when every position
    /// is read (a masked score is −∞ whatever the key, but its weight 0 times a value that is not a number would not be 0).
    /// </summary>
    private static Tensor Buffer(Tensor like, int capacity, bool zeroed = false)
    {
        int[] shape = [like.Size(0), like.Size(1), capacity, like.Size(3)];
        return TensorScope.Keep(zeroed ? Tensor.Zeros(shape, like.DType, like.Device) : Tensor.Empty(shape, like.DType, like.Device));
    }

    private static Tensor Grow(Tensor buffer, int length, int capacity)
    {
        Tensor grown = Buffer(buffer, capacity);
        grown.Narrow(2, 0, length).CopyFrom(buffer.Narrow(2, 0, length));
        return grown;
    }

    /// <summary>One layer's key and value buffers [batch, heads, capacity, head size] and the positions filled.</summary>
    private sealed class Layer(Tensor keys, Tensor values, int length)
    {
        public Tensor Keys { get; } = keys;

        public Tensor Values { get; } = values;

        /// <summary>Positions filled (a decoding step appends in place).</summary>
        public int Length { get; set; } = length;
    }
}

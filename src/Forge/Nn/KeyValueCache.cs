using Forge.Tensors;

namespace Forge.Nn;

/// <summary>
/// The keys and values that attention layers computed for earlier positions, so incremental decoding feeds only the new
/// tokens (Hugging Face's <c>past_key_values</c>). Each layer appends tensors shaped [batch, heads, positions, head size].
/// Every layer writes into buffers with room for <see cref="Capacity"/> positions (doubled when they fill up), so appending a
/// token copies only that token's keys and values, and the cache hands out views of the filled part.
/// </summary>
public sealed class KeyValueCache
{
    private readonly List<Layer?> layers = [];

    /// <summary>A cache whose buffers start with room for <paramref name="capacity"/> positions (a model's context length avoids regrowing).</summary>
    public KeyValueCache(int capacity = 64)
    {
        if (capacity < 1) throw new ForgeException($"Cache capacity must be at least 1 position, found {capacity}.");
        Capacity = capacity;
    }

    /// <summary>Positions the buffers hold before they grow.</summary>
    public int Capacity { get; private set; }

    /// <summary>The number of positions cached (those of the first layer; every layer holds the same once a forward pass ends).</summary>
    public int Length => layers.Count > 0 && layers[0] is { } first ? first.Length : 0;

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

    /// <summary>Keeps, for every new row i, the cached row <paramref name="rows"/>[i] (rows may repeat): how beam search follows its beams.</summary>
    public void Reorder(IReadOnlyList<long> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
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
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is { } entry) entry.Length = 0;
        }
    }

    private static Tensor Buffer(Tensor like, int capacity) =>
        TensorScope.Keep(Tensor.Empty([like.Size(0), like.Size(1), capacity, like.Size(3)], like.DType, like.Device));

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

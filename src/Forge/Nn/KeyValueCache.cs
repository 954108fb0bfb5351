using Forge.Tensors;

namespace Forge.Nn;

/// <summary>
/// The keys and values that attention layers computed for earlier positions, so incremental decoding feeds only the new
/// tokens (Hugging Face's <c>past_key_values</c>). Each layer appends tensors shaped [batch, heads, positions, head size].
/// </summary>
public sealed class KeyValueCache
{
    private readonly List<(Tensor Key, Tensor Value)?> layers = [];

    /// <summary>The number of positions cached (those of the first layer; every layer holds the same once a forward pass ends).</summary>
    public int Length => layers.Count > 0 && layers[0] is { } first ? first.Key.Size(2) : 0;

    /// <summary>The number of sequences (batch rows) cached, or 0 when empty.</summary>
    public int BatchSize => layers.Count > 0 && layers[0] is { } first ? first.Key.Size(0) : 0;

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
        (Tensor Key, Tensor Value) entry = layers[layer] is { } cached
            ? (Tensor.Cat([cached.Key, key.Detach()], 2), Tensor.Cat([cached.Value, value.Detach()], 2))
            : (key.Detach(), value.Detach());
        layers[layer] = entry;
        return entry;
    }

    /// <summary>Keeps, for every new row i, the cached row <paramref name="rows"/>[i] (rows may repeat): how beam search follows its beams.</summary>
    public void Reorder(IReadOnlyList<long> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Tensor index = Tensor.FromArray(rows.ToArray(), rows.Count);
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is { } entry) layers[i] = (entry.Key.IndexSelect(0, index), entry.Value.IndexSelect(0, index));
        }
    }

    /// <summary>Forgets every position.</summary>
    public void Clear() => layers.Clear();
}

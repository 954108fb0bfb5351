using System.Text.Json.Nodes;

namespace Forge.Data;

/// <summary>An endless, resumable stream of training batches: what <see cref="Forge.Training.Trainer{TBatch}"/> draws from.</summary>
/// <typeparam name="TBatch">A batch: input and target tensors, or a record of them.</typeparam>
public interface IBatchSource<out TBatch>
{
    /// <summary>The next batch.</summary>
    TBatch NextBatch();

    /// <summary>The position in the stream, so a resumed run sees exactly the batches an uninterrupted one would.</summary>
    JsonObject StateDict();

    /// <summary>Restores a position saved by <see cref="StateDict"/>.</summary>
    void LoadStateDict(JsonObject state);
}

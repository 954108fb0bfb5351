namespace Forge.Models;

/// <summary>
/// What loading a pretrained directory left out, as Hugging Face's warnings say it: the weights the file did not hold, which keep
/// their random initialization (a new classification head), and the file's weights the model has no place for (a pretraining head
/// loaded into a classifier).
/// </summary>
/// <param name="NewlyInitialized">The model's state names the file lacked, left randomly initialized.</param>
/// <param name="Unused">The file's tensor names the model did not use.</param>
public sealed record PretrainedLoadReport(IReadOnlyList<string> NewlyInitialized, IReadOnlyList<string> Unused);

using Forge.Nn;
using Forge.Tensors;

namespace Forge.Models.DistilBert;

/// <summary>Reading and writing Hugging Face DistilBERT directories, shared by the trunk and the heads.</summary>
internal static class DistilBertPretrained
{
    private const string Prefix = "distilbert.";

    /// <summary>The configuration (adjusted by <paramref name="configure"/>) and weights of a directory.</summary>
    public static (DistilBertConfig Config, Dictionary<string, Tensor> Weights, string Source) Read(string directory, Func<DistilBertConfig, DistilBertConfig>? configure)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var json = PretrainedFiles.ReadConfig(directory);
        DistilBertConfig config = DistilBertConfig.FromJson(json, Path.Combine(directory, PretrainedFiles.ConfigFile));
        if (configure is not null)
        {
            config = configure(config);
            config.Validate();
        }
        var weights = PretrainedFiles.ReadWeights(directory, out string source);
        if (config.TieWordEmbeddings) weights.Remove("vocab_projector.weight");
        return (config, weights, source);
    }

    /// <summary>Loads into a head (state names under <c>distilbert.</c>) or the trunk; the trunk must be in the file (fixed sinusoids excepted).</summary>
    public static PretrainedLoadReport Load(Module model, Dictionary<string, Tensor> weights, string source, bool head, DistilBertConfig config)
    {
        string trunk = head ? Prefix : "";
        string positions = trunk + "embeddings.position_embeddings.weight";
        return PretrainedFiles.Load(model, weights, Prefix,
            k => k.StartsWith(trunk, StringComparison.Ordinal) && !(config.SinusoidalPosEmbds && k == positions), source);
    }
}

public sealed partial class DistilBertModel
{
    /// <summary>
    /// Loads a Hugging Face DistilBERT directory (<c>config.json</c> and <c>model.safetensors</c>) into the trunk: keys with or without
    /// the <c>distilbert.</c> prefix, old <c>gamma</c>/<c>beta</c> names, a <c>position_ids</c> buffer and F16/BF16 weights accepted.
    /// Heads in the file are listed in <see cref="LoadReport"/> as unused. <paramref name="configure"/> may adjust the configuration read.
    /// </summary>
    public static DistilBertModel FromPretrained(string directory, Func<DistilBertConfig, DistilBertConfig>? configure = null)
    {
        var (config, weights, source) = DistilBertPretrained.Read(directory, configure);
        var model = new DistilBertModel(config);
        model.LoadReport = DistilBertPretrained.Load(model, weights, source, head: false, config);
        model.Eval();
        return model;
    }

    /// <summary>Saves the trunk as Hugging Face does: <c>config.json</c> (architectures <c>DistilBertModel</c>) and <c>model.safetensors</c> with bare keys.</summary>
    public void SavePretrained(string directory) => PretrainedFiles.Save(directory, this, Config.ToJson(nameof(DistilBertModel)));
}

public sealed partial class DistilBertForMaskedLM
{
    /// <summary>Loads a Hugging Face DistilBERT directory, as <see cref="DistilBertModel.FromPretrained"/> does; a tied <c>vocab_projector.weight</c> may be present or not.</summary>
    public static DistilBertForMaskedLM FromPretrained(string directory, Func<DistilBertConfig, DistilBertConfig>? configure = null)
    {
        var (config, weights, source) = DistilBertPretrained.Read(directory, configure);
        var model = new DistilBertForMaskedLM(config);
        model.LoadReport = DistilBertPretrained.Load(model, weights, source, head: true, config);
        model.Eval();
        return model;
    }

    /// <summary>Saves the model as Hugging Face does: <c>config.json</c> (architectures <c>DistilBertForMaskedLM</c>) and <c>model.safetensors</c>.</summary>
    public void SavePretrained(string directory) => PretrainedFiles.Save(directory, this, Config.ToJson(nameof(DistilBertForMaskedLM)));
}

public sealed partial class DistilBertForSequenceClassification
{
    /// <summary>
    /// Loads a Hugging Face DistilBERT directory; from a masked-language or trunk checkpoint, <c>pre_classifier</c> and <c>classifier</c>
    /// stay newly initialized, as listed in <see cref="LoadReport"/>. Set the labels with <paramref name="configure"/>.
    /// </summary>
    public static DistilBertForSequenceClassification FromPretrained(string directory, Func<DistilBertConfig, DistilBertConfig>? configure = null)
    {
        var (config, weights, source) = DistilBertPretrained.Read(directory, configure);
        var model = new DistilBertForSequenceClassification(config);
        model.LoadReport = DistilBertPretrained.Load(model, weights, source, head: true, config);
        model.Eval();
        return model;
    }

    /// <summary>Saves the model as Hugging Face does: <c>config.json</c> (architectures <c>DistilBertForSequenceClassification</c>, the labels) and <c>model.safetensors</c>.</summary>
    public void SavePretrained(string directory) => PretrainedFiles.Save(directory, this, Config.ToJson(nameof(DistilBertForSequenceClassification)));
}

public sealed partial class DistilBertForTokenClassification
{
    /// <summary>Loads a Hugging Face DistilBERT directory, as <see cref="DistilBertForSequenceClassification.FromPretrained"/> does.</summary>
    public static DistilBertForTokenClassification FromPretrained(string directory, Func<DistilBertConfig, DistilBertConfig>? configure = null)
    {
        var (config, weights, source) = DistilBertPretrained.Read(directory, configure);
        var model = new DistilBertForTokenClassification(config);
        model.LoadReport = DistilBertPretrained.Load(model, weights, source, head: true, config);
        model.Eval();
        return model;
    }

    /// <summary>Saves the model as Hugging Face does: <c>config.json</c> (architectures <c>DistilBertForTokenClassification</c>, the labels) and <c>model.safetensors</c>.</summary>
    public void SavePretrained(string directory) => PretrainedFiles.Save(directory, this, Config.ToJson(nameof(DistilBertForTokenClassification)));
}

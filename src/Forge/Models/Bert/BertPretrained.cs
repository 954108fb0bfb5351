using Forge.Nn;
using Forge.Tensors;

namespace Forge.Models.Bert;

/// <summary>Reading and writing Hugging Face BERT directories, shared by the trunk and the heads.</summary>
internal static class BertPretrained
{
    private const string Prefix = "bert.";

    /// <summary>The configuration (adjusted by <paramref name="configure"/>) and weights of a directory.</summary>
    public static (BertConfig Config, Dictionary<string, Tensor> Weights, string Source) Read(string directory, Func<BertConfig, BertConfig>? configure)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var json = PretrainedFiles.ReadConfig(directory);
        BertConfig config = BertConfig.FromJson(json, Path.Combine(directory, PretrainedFiles.ConfigFile));
        if (configure is not null)
        {
            config = configure(config);
            config.Validate();
        }
        var weights = PretrainedFiles.ReadWeights(directory, out string source);
        // Hugging Face ties cls.predictions.decoder.bias to cls.predictions.bias; older files hold either or both, and the tied decoder weight.
        if (weights.Remove("cls.predictions.decoder.bias", out Tensor? decoderBias)) weights.TryAdd("cls.predictions.bias", decoderBias);
        if (config.TieWordEmbeddings) weights.Remove("cls.predictions.decoder.weight");
        return (config, weights, source);
    }

    /// <summary>Loads into a head (state names under <c>bert.</c>) or the trunk; the trunk but its pooler must be in the file.</summary>
    public static PretrainedLoadReport Load(Module model, Dictionary<string, Tensor> weights, string source, bool head)
    {
        string trunk = head ? Prefix : "";
        return PretrainedFiles.Load(model, weights, Prefix,
            k => k.StartsWith(trunk, StringComparison.Ordinal) && !k.StartsWith(trunk + "pooler.", StringComparison.Ordinal), source);
    }
}

public sealed partial class BertModel
{
    /// <summary>
    /// Loads a Hugging Face BERT directory (<c>config.json</c> and <c>model.safetensors</c>) into the trunk: keys with or without the
    /// <c>bert.</c> prefix, old <c>gamma</c>/<c>beta</c> names, the <c>position_ids</c>/<c>token_type_ids</c> buffers and F16/BF16
    /// weights accepted. Heads in the file are listed in <see cref="LoadReport"/> as unused; a missing pooler is newly initialized.
    /// <paramref name="configure"/> may adjust the configuration read.
    /// </summary>
    public static BertModel FromPretrained(string directory, bool addPoolingLayer = true, Func<BertConfig, BertConfig>? configure = null)
    {
        var (config, weights, source) = BertPretrained.Read(directory, configure);
        var model = new BertModel(config, addPoolingLayer);
        model.LoadReport = BertPretrained.Load(model, weights, source, head: false);
        model.Eval();
        return model;
    }

    /// <summary>Saves the trunk as Hugging Face does: <c>config.json</c> (architectures <c>BertModel</c>) and <c>model.safetensors</c> with bare keys.</summary>
    public void SavePretrained(string directory) => PretrainedFiles.Save(directory, this, Config.ToJson(nameof(BertModel)));
}

public sealed partial class BertForMaskedLM
{
    /// <summary>
    /// Loads a Hugging Face BERT directory, as <see cref="BertModel.FromPretrained"/> does; <c>cls.predictions.decoder.weight</c> (tied)
    /// and <c>cls.predictions.decoder.bias</c> may be present or not. A trunk-only file leaves the head newly initialized (see <see cref="LoadReport"/>).
    /// </summary>
    public static BertForMaskedLM FromPretrained(string directory, Func<BertConfig, BertConfig>? configure = null)
    {
        var (config, weights, source) = BertPretrained.Read(directory, configure);
        var model = new BertForMaskedLM(config);
        model.LoadReport = BertPretrained.Load(model, weights, source, head: true);
        model.Eval();
        return model;
    }

    /// <summary>Saves the model as Hugging Face does: <c>config.json</c> (architectures <c>BertForMaskedLM</c>) and <c>model.safetensors</c>.</summary>
    public void SavePretrained(string directory) => PretrainedFiles.Save(directory, this, Config.ToJson(nameof(BertForMaskedLM)));
}

public sealed partial class BertForSequenceClassification
{
    /// <summary>
    /// Loads a Hugging Face BERT directory, as <see cref="BertModel.FromPretrained"/> does. Fine-tuning starts here: a masked-language
    /// or pretraining checkpoint gives the trunk, and the pooler (when absent) and classifier stay newly initialized, as listed in
    /// <see cref="LoadReport"/>; set the labels with <paramref name="configure"/> (e.g. <c>c =&gt; c.WithNumLabels(3)</c>).
    /// </summary>
    public static BertForSequenceClassification FromPretrained(string directory, Func<BertConfig, BertConfig>? configure = null)
    {
        var (config, weights, source) = BertPretrained.Read(directory, configure);
        var model = new BertForSequenceClassification(config);
        model.LoadReport = BertPretrained.Load(model, weights, source, head: true);
        model.Eval();
        return model;
    }

    /// <summary>Saves the model as Hugging Face does: <c>config.json</c> (architectures <c>BertForSequenceClassification</c>, the labels) and <c>model.safetensors</c>.</summary>
    public void SavePretrained(string directory) => PretrainedFiles.Save(directory, this, Config.ToJson(nameof(BertForSequenceClassification)));
}

public sealed partial class BertForTokenClassification
{
    /// <summary>Loads a Hugging Face BERT directory, as <see cref="BertForSequenceClassification.FromPretrained"/> does.</summary>
    public static BertForTokenClassification FromPretrained(string directory, Func<BertConfig, BertConfig>? configure = null)
    {
        var (config, weights, source) = BertPretrained.Read(directory, configure);
        var model = new BertForTokenClassification(config);
        model.LoadReport = BertPretrained.Load(model, weights, source, head: true);
        model.Eval();
        return model;
    }

    /// <summary>Saves the model as Hugging Face does: <c>config.json</c> (architectures <c>BertForTokenClassification</c>, the labels) and <c>model.safetensors</c>.</summary>
    public void SavePretrained(string directory) => PretrainedFiles.Save(directory, this, Config.ToJson(nameof(BertForTokenClassification)));
}

public sealed partial class BertForPreTraining
{
    /// <summary>Loads a Hugging Face BERT directory, as <see cref="BertForMaskedLM.FromPretrained"/> does.</summary>
    public static BertForPreTraining FromPretrained(string directory, Func<BertConfig, BertConfig>? configure = null)
    {
        var (config, weights, source) = BertPretrained.Read(directory, configure);
        var model = new BertForPreTraining(config);
        model.LoadReport = BertPretrained.Load(model, weights, source, head: true);
        model.Eval();
        return model;
    }

    /// <summary>Saves the model as Hugging Face does: <c>config.json</c> (architectures <c>BertForPreTraining</c>) and <c>model.safetensors</c>.</summary>
    public void SavePretrained(string directory) => PretrainedFiles.Save(directory, this, Config.ToJson(nameof(BertForPreTraining)));
}

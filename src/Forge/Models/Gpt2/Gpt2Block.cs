using Forge.Nn;
using Forge.Tensors;

namespace Forge.Models.Gpt2;

/// <summary>GPT-2's feed-forward layer: <c>c_fc</c>, the activation, <c>c_proj</c>, dropout.</summary>
public sealed class Gpt2Mlp : Module<Tensor, Tensor>
{
    private readonly string activation;

    /// <summary>The feed-forward layer of a model configured by <paramref name="config"/>.</summary>
    public Gpt2Mlp(Gpt2Config config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        activation = config.ActivationFunction;
        CFc = new Conv1D(config.NEmbd, config.InnerSize, config.InitializerRange, generator);
        CProj = new Conv1D(config.InnerSize, config.NEmbd, config.ResidualInitializerRange, generator);
        Dropout = new Dropout(config.ResidPdrop, generator);
    }

    /// <summary>The expanding projection.</summary>
    [StateName("c_fc")]
    public Conv1D CFc { get; set; }

    /// <summary>The contracting projection.</summary>
    [StateName("c_proj")]
    public Conv1D CProj { get; set; }

    /// <summary>Dropout on the output.</summary>
    public Dropout Dropout { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input)
    {
        Tensor h = CFc.Forward(input);
        h = activation switch
        {
            "gelu" => h.Gelu(),
            "relu" => h.Relu(),
            _ => h.Gelu(GeluApproximation.Tanh),
        };
        return Dropout.Forward(CProj.Forward(h));
    }
}

/// <summary>One pre-norm GPT-2 block: x + attn(ln_1(x)), then x + mlp(ln_2(x)).</summary>
public sealed class Gpt2Block : Module<Gpt2Attention.Input, Tensor>
{
    /// <summary>A block of a model configured by <paramref name="config"/>.</summary>
    public Gpt2Block(Gpt2Config config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        Ln1 = new LayerNorm(config.NEmbd, config.LayerNormEpsilon);
        Attn = new Gpt2Attention(config, generator);
        Ln2 = new LayerNorm(config.NEmbd, config.LayerNormEpsilon);
        Mlp = new Gpt2Mlp(config, generator);
    }

    /// <summary>The norm before attention.</summary>
    [StateName("ln_1")]
    public LayerNorm Ln1 { get; set; }

    /// <summary>The causal self-attention.</summary>
    public Gpt2Attention Attn { get; set; }

    /// <summary>The norm before the feed-forward layer.</summary>
    [StateName("ln_2")]
    public LayerNorm Ln2 { get; set; }

    /// <summary>The feed-forward layer.</summary>
    public Gpt2Mlp Mlp { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Gpt2Attention.Input input)
    {
        Tensor x = input.Hidden;
        var (sum, normalized) = Ln2.AddAndNormalize(x, Attn.Forward(input with { Hidden = Ln1.Forward(x) }));
        return sum.Add(Mlp.Forward(normalized));
    }
}

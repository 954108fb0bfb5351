using Forge.Nn;
using Forge.Tensors;
using F = Forge.Nn.Functional;

namespace Forge.Tests.Nn;

/// <summary>GPT-2's attention with its Hugging Face names: c_attn (renamed member), c_proj, and the non-persistent "bias" mask buffer.</summary>
internal sealed class TinyAttention : Module<Tensor, Tensor>
{
    public TinyAttention(int width, int length, Generator generator)
    {
        Fused = new Linear(width, 3 * width, generator: generator);
        CProj = new Linear(width, width, generator: generator);
        CausalMask = Tensor.Ones([length, length]);
    }

    [StateName("c_attn")]
    public Linear Fused { get; set; }

    public Linear CProj { get; set; }

    [Buffer(Persistent = false)]
    [StateName("bias")]
    public Tensor CausalMask { get; }

    protected override Tensor ForwardCore(Tensor input)
    {
        Tensor[] qkv = Fused.Forward(input).Chunk(3, -1);
        return CProj.Forward(F.ScaledDotProductAttention(qkv[0], qkv[1], qkv[2], isCausal: true).Output);
    }
}

/// <summary>GPT-2's MLP, holding its layers in private fields.</summary>
internal sealed class TinyMlp(int width, Generator generator) : Module<Tensor, Tensor>
{
    [StateName("c_fc")]
    private readonly Linear expand = new(width, 4 * width, generator: generator);

    [StateName("c_proj")]
    private readonly Linear project = new(4 * width, width, generator: generator);

    private readonly Gelu activation = new(GeluApproximation.Tanh);

    protected override Tensor ForwardCore(Tensor input) => project.Forward(activation.Forward(expand.Forward(input)));
}

/// <summary>A pre-norm GPT-2 block.</summary>
internal sealed class TinyBlock(int width, int length, Generator generator) : Module<Tensor, Tensor>
{
    [StateName("ln_1")]
    public LayerNorm Ln1 { get; set; } = new(width);

    public TinyAttention Attn { get; set; } = new(width, length, generator);

    [StateName("ln_2")]
    public LayerNorm Ln2 { get; set; } = new(width);

    public TinyMlp Mlp { get; set; } = new(width, generator);

    protected override Tensor ForwardCore(Tensor input)
    {
        Tensor x = input.Add(Attn.Forward(Ln1.Forward(input)));
        return x.Add(Mlp.Forward(Ln2.Forward(x)));
    }
}

/// <summary>A two-block GPT-2 whose state names are those of Hugging Face's GPT2Model; logits use the tied token embedding.</summary>
internal sealed class TinyGpt : Module<Tensor, Tensor>
{
    public const int Vocabulary = 11, Width = 8, Length = 6;

    public TinyGpt(ulong seed)
    {
        var generator = new Generator(seed);
        Wte = new Embedding(Vocabulary, Width, generator: generator);
        Wpe = new Embedding(Length, Width, generator: generator);
        H = new ModuleList<TinyBlock>([new TinyBlock(Width, Length, generator), new TinyBlock(Width, Length, generator)]);
        LnF = new LayerNorm(Width);
    }

    public Embedding Wte { get; set; }

    public Embedding Wpe { get; set; }

    public ModuleList<TinyBlock> H { get; set; }

    public LayerNorm LnF { get; set; }

    /// <summary>GPT-2's parameter names in Hugging Face's order, for <paramref name="blocks"/> blocks.</summary>
    public static IEnumerable<string> ExpectedNames(int blocks = 2) =>
        new[] { "wte.weight", "wpe.weight" }
            .Concat(Enumerable.Range(0, blocks).SelectMany(i => new[]
            {
                "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias",
                "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias",
            }.Select(n => $"h.{i}.{n}")))
            .Concat(["ln_f.weight", "ln_f.bias"]);

    /// <summary>Random token ids [batch, Length].</summary>
    public static Tensor Tokens(int batch, ulong seed) => Tensor.RandInt(0, Vocabulary, [batch, Length], new Generator(seed));

    protected override Tensor ForwardCore(Tensor input)
    {
        Tensor x = Wte.Forward(input).Add(Wpe.Forward(Tensor.Arange(input.Size(-1))));
        foreach (TinyBlock block in H) x = block.Forward(x);
        return LnF.Forward(x).MatMul(Wte.Weight.MT);
    }
}

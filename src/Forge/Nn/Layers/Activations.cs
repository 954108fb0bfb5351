using Forge.Tensors;

namespace Forge.Nn;

/// <summary>The activation functions a layer can be configured with.</summary>
public enum Activation
{
    /// <summary>max(0, x).</summary>
    Relu,
    /// <summary>The exact GELU, x·Φ(x).</summary>
    Gelu,
    /// <summary>The tanh approximation of GELU (GPT-2's gelu_new).</summary>
    GeluTanh,
    /// <summary>x·sigmoid(x) (SiLU, swish).</summary>
    Silu,
    /// <summary>tanh(x).</summary>
    Tanh,
    /// <summary>1 / (1 + e^−x).</summary>
    Sigmoid,
}

/// <summary>Builds activation modules.</summary>
public static class Activations
{
    /// <summary>A new module computing <paramref name="activation"/>.</summary>
    public static Module<Tensor, Tensor> Create(Activation activation) => activation switch
    {
        Activation.Relu => new Relu(),
        Activation.Gelu => new Gelu(),
        Activation.GeluTanh => new Gelu(GeluApproximation.Tanh),
        Activation.Silu => new Silu(),
        Activation.Tanh => new Tanh(),
        Activation.Sigmoid => new Sigmoid(),
        _ => throw new ForgeException($"Unknown activation {activation}."),
    };
}

/// <summary>max(0, x) (PyTorch's nn.ReLU).</summary>
public sealed class Relu : Module<Tensor, Tensor>
{
    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Checked(input).Relu();

    internal static Tensor Checked(Tensor input) => input ?? throw new ArgumentNullException(nameof(input));
}

/// <summary>GELU, exact or with the tanh approximation (PyTorch's nn.GELU).</summary>
public sealed class Gelu(GeluApproximation approximate = GeluApproximation.None) : Module<Tensor, Tensor>
{
    /// <summary>The variant computed.</summary>
    public GeluApproximation Approximate { get; } = approximate;

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Relu.Checked(input).Gelu(Approximate);

    /// <inheritdoc />
    public override string ExtraRepr() => $"approximate='{(Approximate == GeluApproximation.Tanh ? "tanh" : "none")}'";
}

/// <summary>x·sigmoid(x) (PyTorch's nn.SiLU).</summary>
public sealed class Silu : Module<Tensor, Tensor>
{
    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Relu.Checked(input).Silu();
}

/// <summary>tanh(x) (PyTorch's nn.Tanh).</summary>
public sealed class Tanh : Module<Tensor, Tensor>
{
    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Relu.Checked(input).Tanh();
}

/// <summary>1 / (1 + e^−x) (PyTorch's nn.Sigmoid).</summary>
public sealed class Sigmoid : Module<Tensor, Tensor>
{
    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Relu.Checked(input).Sigmoid();
}

/// <summary>x for x ≥ 0, slope·x otherwise (PyTorch's nn.LeakyReLU).</summary>
public sealed class LeakyRelu(float negativeSlope = 0.01f) : Module<Tensor, Tensor>
{
    /// <summary>The slope for negative inputs.</summary>
    public float NegativeSlope { get; } = negativeSlope;

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Relu.Checked(input).LeakyRelu(NegativeSlope);

    /// <inheritdoc />
    public override string ExtraRepr() => $"negative_slope={LayerChecks.PyFloat(NegativeSlope)}";
}

/// <summary>log(1 + e^(β·x)) / β, linear above the threshold (PyTorch's nn.Softplus).</summary>
public sealed class Softplus(float beta = 1, float threshold = 20) : Module<Tensor, Tensor>
{
    /// <summary>β.</summary>
    public float Beta { get; } = beta;

    /// <summary>Above β·x = threshold the result is x.</summary>
    public float Threshold { get; } = threshold;

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Relu.Checked(input).Softplus(Beta, Threshold);

    /// <inheritdoc />
    public override string ExtraRepr() => $"beta={LayerChecks.PyFloat(Beta)}, threshold={LayerChecks.PyFloat(Threshold)}";
}

/// <summary>Softmax along a dimension (PyTorch's nn.Softmax).</summary>
public sealed class Softmax(int dim) : Module<Tensor, Tensor>
{
    /// <summary>The dimension that sums to one.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Functional.Softmax(input, Dim);

    /// <inheritdoc />
    public override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>Log-softmax along a dimension (PyTorch's nn.LogSoftmax).</summary>
public sealed class LogSoftmax(int dim) : Module<Tensor, Tensor>
{
    /// <summary>The dimension normalized.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Functional.LogSoftmax(input, Dim);

    /// <inheritdoc />
    public override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>Returns its input (PyTorch's nn.Identity): a placeholder, e.g. to remove a layer with <see cref="Module.SetSubmodule"/>.</summary>
public sealed class Identity : Module<Tensor, Tensor>
{
    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Relu.Checked(input);
}

/// <summary>Flattens dimensions <see cref="StartDim"/> to <see cref="EndDim"/> into one (PyTorch's nn.Flatten; by default all but the batch).</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module<Tensor, Tensor>
{
    /// <summary>The first dimension flattened.</summary>
    public int StartDim { get; } = startDim;

    /// <summary>The last dimension flattened.</summary>
    public int EndDim { get; } = endDim;

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Relu.Checked(input).Flatten(StartDim, EndDim);

    /// <inheritdoc />
    public override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}

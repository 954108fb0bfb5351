using Forge.Tensors;

namespace Forge.Backends;

/// <summary>Elementwise binary ops; the operands are broadcast views of the result's shape.</summary>
public enum BinaryOp
{
    /// <summary>a + b</summary>
    Add,
    /// <summary>a - b</summary>
    Sub,
    /// <summary>a * b</summary>
    Mul,
    /// <summary>a / b</summary>
    Div,
    /// <summary>a raised to b</summary>
    Pow,
    /// <summary>max(a, b)</summary>
    Maximum,
    /// <summary>min(a, b)</summary>
    Minimum,
}

/// <summary>Elementwise comparisons producing a Bool tensor.</summary>
public enum CompareOp
{
    /// <summary>a == b</summary>
    Equal,
    /// <summary>a != b</summary>
    NotEqual,
    /// <summary>a &lt; b</summary>
    Less,
    /// <summary>a &lt;= b</summary>
    LessOrEqual,
    /// <summary>a &gt; b</summary>
    Greater,
    /// <summary>a &gt;= b</summary>
    GreaterOrEqual,
}

/// <summary>Elementwise unary float ops. P1/P2 are the op's parameters where it has any.</summary>
public enum UnaryOp
{
    /// <summary>-x</summary>
    Neg,
    /// <summary>e^x</summary>
    Exp,
    /// <summary>ln x</summary>
    Log,
    /// <summary>√x</summary>
    Sqrt,
    /// <summary>1/√x</summary>
    Rsqrt,
    /// <summary>|x|</summary>
    Abs,
    /// <summary>tanh x</summary>
    Tanh,
    /// <summary>1/(1+e^-x)</summary>
    Sigmoid,
    /// <summary>max(x, 0)</summary>
    Relu,
    /// <summary>x if x &gt; 0 else P1·x</summary>
    LeakyRelu,
    /// <summary>x·Φ(x) (exact, erf-based)</summary>
    Gelu,
    /// <summary>GELU with the tanh approximation (gelu_new)</summary>
    GeluTanh,
    /// <summary>x·sigmoid(x)</summary>
    Silu,
    /// <summary>ln(1+e^(P1·x))/P1, linear above P2 (PyTorch's beta and threshold)</summary>
    Softplus,
    /// <summary>x raised to the constant P1</summary>
    PowScalar,
    /// <summary>clamp(x, P1, P2)</summary>
    Clamp,
    /// <summary>sin x</summary>
    Sin,
    /// <summary>cos x</summary>
    Cos,
    /// <summary>sign of x (-1, 0, 1)</summary>
    Sign,
    /// <summary>1/x</summary>
    Reciprocal,
}

/// <summary>Row reductions: each output element reduces one contiguous row of the input.</summary>
public enum ReduceOp
{
    /// <summary>Σ x</summary>
    Sum,
    /// <summary>Σ x / n</summary>
    Mean,
    /// <summary>max x</summary>
    Max,
    /// <summary>min x</summary>
    Min,
    /// <summary>index of the first maximum (Int64 result)</summary>
    ArgMax,
    /// <summary>index of the first minimum (Int64 result)</summary>
    ArgMin,
    /// <summary>log Σ e^x, computed stably</summary>
    LogSumExp,
}

/// <summary>
/// The kernels of one device. Ops (with their gradients) are written once on top of this interface, so a new device
/// is a new implementation, and a decorator (timing, tracing) wraps any implementation. Kernel families live in the
/// other parts of this interface.
/// </summary>
public partial interface IBackend
{
    /// <summary>A short name for reports ("cpu-managed", ...).</summary>
    string Name { get; }

    /// <summary>Allocates storage for <paramref name="length"/> elements.</summary>
    Storage Allocate(DType dtype, long length, bool zeroed);

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> (same shape, any strides), converting dtypes.</summary>
    void Copy(Tensor source, Tensor destination);

    /// <summary>Sets every element of <paramref name="destination"/> (any strides) to <paramref name="value"/>.</summary>
    void Fill(Tensor destination, double value);

    /// <summary>result = a op b for Float32 tensors; a and b have the result's shape (broadcast by zero strides); result is contiguous.</summary>
    void Binary(BinaryOp op, Tensor a, Tensor b, Tensor result);

    /// <summary>result = a cmp b as Bool; a and b are Float32 or Int64 views of the result's shape; result is contiguous.</summary>
    void Compare(CompareOp op, Tensor a, Tensor b, Tensor result);

    /// <summary>result = f(x) for contiguous Float32 tensors.</summary>
    void Unary(UnaryOp op, Tensor x, Tensor result, float p1, float p2);

    /// <summary>gradInput = gradOutput · f'(x) for contiguous Float32 tensors; <paramref name="y"/> is f(x).</summary>
    void UnaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gradOutput, Tensor gradInput, float p1, float p2);

    /// <summary>Reduces each row of the contiguous input (Numel / result.Numel elements each) into one element of the contiguous result.</summary>
    void ReduceRows(ReduceOp op, Tensor x, Tensor result);

    /// <summary>
    /// Reduces the middle dimension of the contiguous [outer, reduced, inner] input: result[o, i] = op over r of x[o, r, i], into
    /// the contiguous result of outer·inner elements (a bias gradient sums a [rows, features] gradient this way, with outer 1).
    /// Supports <see cref="ReduceOp.Sum"/>, <see cref="ReduceOp.Mean"/>, <see cref="ReduceOp.Max"/> and <see cref="ReduceOp.Min"/>.
    /// </summary>
    void ReduceColumns(ReduceOp op, Tensor x, Tensor result);

    /// <summary>
    /// Batched matrix product c = a·b + beta·c. a is [..., m, k] and b is [..., k, n] with the same leading (batch) dimensions,
    /// none or several, and any strides: batch dimensions may be broadcast (stride 0) or interleaved with the matrices (as after
    /// splitting heads), and each matrix may be row-major, column-major (transposed) or a slice of a wider one. c is a contiguous
    /// [..., m, n]. beta is 0 or 1.
    /// </summary>
    void MatMul(Tensor a, Tensor b, Tensor c, float beta);

    /// <summary>
    /// c = a·b + bias: <see cref="MatMul"/> (beta 0) with the contiguous [n] bias added to every row of c as the product is
    /// stored, instead of in a second pass over c (a linear layer's forward).
    /// </summary>
    void MatMulBias(Tensor a, Tensor b, Tensor bias, Tensor c);

    /// <summary>
    /// c = a·b (beta 0, shapes as in <see cref="MatMul"/>) for the square-ish products of causal attention, skipping the work the
    /// <paramref name="product"/> structure makes unnecessary; the result is exact wherever it is defined.
    /// </summary>
    void CausalMatMul(Tensor a, Tensor b, Tensor c, CausalProduct product);
}

/// <summary>
/// The structure of a product in causal attention, where row i of a [L, L] matrix belongs to query i and column j to key j
/// (top-left aligned: query i sees keys j ≤ i).
/// </summary>
public enum CausalProduct
{
    /// <summary>Only c[i, j] with j ≤ i is needed (scores): the entries above the diagonal are written as 0.</summary>
    LowerResult,
    /// <summary>a[i, p] is 0 for p &gt; i (attention weights times values).</summary>
    LowerLeft,
    /// <summary>a[i, p] is 0 for p &lt; i (transposed weights, in the gradients of keys and values).</summary>
    UpperLeft,
}

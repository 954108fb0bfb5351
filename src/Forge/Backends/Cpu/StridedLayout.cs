using System.Runtime.CompilerServices;

namespace Forge.Backends.Cpu;

/// <summary>
/// Iteration plan for several operands of one shape with arbitrary strides: dimensions that are contiguous for every
/// operand are merged, and the tensor is walked as rows of the innermost dimension. A value with its arrays inline, so
/// planning a kernel allocates nothing.
/// </summary>
internal readonly struct StridedLayout
{
    /// <summary>The most operands a plan walks together (a binary op's two inputs and its result).</summary>
    public const int MaxOperands = 3;

    /// <summary>The most dimensions left outside the innermost one once contiguous ones are merged.</summary>
    public const int MaxOuterDims = 15;

    private readonly OuterShape outerShape;

    /// <summary>Operand o's stride along outer dimension d, at o·<see cref="MaxOuterDims"/> + d.</summary>
    private readonly OuterStrides outerStrides;

    private readonly OperandStrides innerStrides;

    private readonly int outer;

    public StridedLayout(IReadOnlyList<int> shape, params ReadOnlySpan<IReadOnlyList<long>> operandStrides)
    {
        int operands = operandStrides.Length, rank = Math.Max(shape.Count, 1);
        if (operands > MaxOperands) throw new ForgeException($"A strided plan walks at most {MaxOperands} operands, found {operands}.");
        Span<int> dims = stackalloc int[rank];
        Span<long> strides = stackalloc long[operands * rank];
        int count = 0;
        for (int d = 0; d < shape.Count; d++)
        {
            int size = shape[d];
            if (size == 1) continue;
            bool merge = count > 0;
            for (int o = 0; o < operands && merge; o++)
                merge = strides[o * rank + count - 1] == operandStrides[o][d] * size;
            int target = merge ? count - 1 : count;
            dims[target] = merge ? dims[target] * size : size;
            for (int o = 0; o < operands; o++) strides[o * rank + target] = operandStrides[o][d];
            if (!merge) count++;
        }
        if (count == 0)
        {
            dims[0] = 1;
            for (int o = 0; o < operands; o++) strides[o * rank] = 1;
            count = 1;
        }
        outer = count - 1;
        if (outer > MaxOuterDims)
            throw new ForgeException($"Elementwise kernels walk tensors of at most {MaxOuterDims + 1} dimensions that do not merge, found {count} in shape [{string.Join(", ", shape)}].");
        Operands = operands;
        Inner = dims[outer];
        long rows = 1;
        for (int d = 0; d < outer; d++)
        {
            outerShape[d] = dims[d];
            rows *= dims[d];
        }
        for (int o = 0; o < operands; o++)
        {
            innerStrides[o] = strides[o * rank + outer];
            for (int d = 0; d < outer; d++) outerStrides[o * MaxOuterDims + d] = strides[o * rank + d];
        }
        Rows = rows;
    }

    /// <summary>Number of operands.</summary>
    public int Operands { get; }

    /// <summary>Number of rows (product of the outer dimensions).</summary>
    public long Rows { get; }

    /// <summary>Length of the innermost (merged) dimension.</summary>
    public int Inner { get; }

    /// <summary>Operand <paramref name="operand"/>'s stride along the innermost dimension.</summary>
    public long InnerStride(int operand) => innerStrides[operand];

    /// <summary>Writes each operand's element offset of the start of <paramref name="row"/>.</summary>
    public void RowOffsets(long row, Span<long> offsets)
    {
        offsets.Clear();
        for (int d = outer - 1; d >= 0; d--)
        {
            long index = row % outerShape[d];
            row /= outerShape[d];
            for (int o = 0; o < offsets.Length; o++) offsets[o] += index * outerStrides[o * MaxOuterDims + d];
        }
    }

    [InlineArray(MaxOuterDims)]
    private struct OuterShape
    {
        private int element;
    }

    [InlineArray(MaxOperands * MaxOuterDims)]
    private struct OuterStrides
    {
        private long element;
    }

    [InlineArray(MaxOperands)]
    private struct OperandStrides
    {
        private long element;
    }
}

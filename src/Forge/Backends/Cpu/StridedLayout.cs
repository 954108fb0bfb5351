namespace Forge.Backends.Cpu;

/// <summary>
/// Iteration plan for several operands of one shape with arbitrary strides: dimensions that are contiguous for every
/// operand are merged, and the tensor is walked as rows of the innermost dimension.
/// </summary>
internal sealed class StridedLayout
{
    private readonly int[] outerShape;

    /// <summary>Operand o's stride along outer dimension d, at o·outerShape.Length + d.</summary>
    private readonly long[] outerStrides;

    public StridedLayout(IReadOnlyList<int> shape, params ReadOnlySpan<IReadOnlyList<long>> operandStrides)
    {
        int operands = operandStrides.Length, rank = Math.Max(shape.Count, 1);
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
        int outer = count - 1;
        Inner = dims[outer];
        InnerStrides = new long[operands];
        outerShape = dims[..outer].ToArray();
        outerStrides = new long[operands * outer];
        for (int o = 0; o < operands; o++)
        {
            InnerStrides[o] = strides[o * rank + outer];
            strides.Slice(o * rank, outer).CopyTo(outerStrides.AsSpan(o * outer));
        }
        long rows = 1;
        foreach (int n in outerShape) rows *= n;
        Rows = rows;
    }

    /// <summary>Number of rows (product of the outer dimensions).</summary>
    public long Rows { get; }

    /// <summary>Length of the innermost (merged) dimension.</summary>
    public int Inner { get; }

    /// <summary>Each operand's stride along the innermost dimension.</summary>
    public long[] InnerStrides { get; }

    /// <summary>Writes each operand's element offset of the start of <paramref name="row"/>.</summary>
    public void RowOffsets(long row, Span<long> offsets)
    {
        offsets.Clear();
        int outer = outerShape.Length;
        for (int d = outer - 1; d >= 0; d--)
        {
            long index = row % outerShape[d];
            row /= outerShape[d];
            for (int o = 0; o < offsets.Length; o++) offsets[o] += index * outerStrides[o * outer + d];
        }
    }
}

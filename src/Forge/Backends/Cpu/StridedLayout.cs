namespace Forge.Backends.Cpu;

/// <summary>
/// Iteration plan for several operands of one shape with arbitrary strides: dimensions that are contiguous for every
/// operand are merged, and the tensor is walked as rows of the innermost dimension.
/// </summary>
internal sealed class StridedLayout
{
    private readonly int[] outerShape;
    private readonly long[][] outerStrides;

    public StridedLayout(IReadOnlyList<int> shape, params IReadOnlyList<long>[] operandStrides)
    {
        var dims = new List<int>();
        var strides = operandStrides.Select(_ => new List<long>()).ToArray();
        for (int d = 0; d < shape.Count; d++)
        {
            if (shape[d] == 1) continue;
            int last = dims.Count - 1;
            bool merge = last >= 0;
            for (int o = 0; o < operandStrides.Length && merge; o++)
                merge = strides[o][last] == operandStrides[o][d] * shape[d];
            if (merge)
            {
                dims[last] *= shape[d];
                for (int o = 0; o < operandStrides.Length; o++) strides[o][last] = operandStrides[o][d];
            }
            else
            {
                dims.Add(shape[d]);
                for (int o = 0; o < operandStrides.Length; o++) strides[o].Add(operandStrides[o][d]);
            }
        }
        if (dims.Count == 0)
        {
            dims.Add(1);
            foreach (var s in strides) s.Add(1);
        }
        Inner = dims[^1];
        InnerStrides = strides.Select(s => s[^1]).ToArray();
        outerShape = dims.Take(dims.Count - 1).ToArray();
        outerStrides = strides.Select(s => s.Take(s.Count - 1).ToArray()).ToArray();
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
        for (int d = outerShape.Length - 1; d >= 0; d--)
        {
            long index = row % outerShape[d];
            row /= outerShape[d];
            for (int o = 0; o < offsets.Length; o++) offsets[o] += index * outerStrides[o][d];
        }
    }
}

using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Tensor = Forge.Tensors.Tensor;

namespace Forge.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>Keys per block: a block of transposed keys and its values (32 × 64 floats each at GPT-2's head size) stay in L1.</summary>
    private const int AttentionKeyBlock = 32;

    /// <summary>Query rows per block in the forward pass: each key block is used by this many rows while it is in L1.</summary>
    private const int AttentionQueryBlock = 16;

    /// <inheritdoc />
    public void FlashAttention(Tensor query, Tensor key, Tensor value, Tensor output, Tensor logSumExp, float scale, bool causal, float dropout, ulong seed)
    {
        var shape = new AttentionShape(query, key, value, causal, dropout, seed);
        CpuParallel.For(shape.Count, 1, new AttentionForwardMatrices
        {
            Shape = shape, Scale = scale, Q = query.Ptr<float>(), K = key.Ptr<float>(), V = value.Ptr<float>(), O = output.Ptr<float>(),
            Lse = logSumExp.Ptr<float>(),
        });
    }

    /// <summary>Forward passes of matrices [first, last), with scratch from the shared array pool for the whole chunk.</summary>
    private struct AttentionForwardMatrices : IRangeBody
    {
        public AttentionShape Shape;
        public float Scale;
        public float* Q, K, V, O, Lse;

        public readonly void Run(long first, long last)
        {
            AttentionShape shape = Shape;
            int floats = PanelFloats(shape.Lk, shape.E) + AttentionQueryBlock * (AttentionKeyBlock + 2);
            float[] buffer = ArrayPool<float>.Shared.Rent(floats);
            fixed (float* scratch = buffer)
            {
                for (long n = first; n < last; n++)
                    AttentionForward(shape, n, Q + n * shape.Lq * shape.E, K + n * shape.Lk * shape.E, V + n * shape.Lk * shape.Ev,
                        O + n * shape.Lq * shape.Ev, Lse + n * shape.Lq, Scale, scratch);
            }
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc />
    public void FlashAttentionBackward(Tensor query, Tensor key, Tensor value, Tensor output, Tensor logSumExp, Tensor gradOutput,
        Tensor gradQuery, Tensor gradKey, Tensor gradValue, float scale, bool causal, float dropout, ulong seed)
    {
        var shape = new AttentionShape(query, key, value, causal, dropout, seed);
        CpuParallel.For(shape.Count, 1, new AttentionBackwardMatrices
        {
            Shape = shape, Scale = scale, Q = query.Ptr<float>(), K = key.Ptr<float>(), V = value.Ptr<float>(), O = output.Ptr<float>(),
            Lse = logSumExp.Ptr<float>(), G = gradOutput.Ptr<float>(), Gq = gradQuery.Ptr<float>(), Gk = gradKey.Ptr<float>(), Gv = gradValue.Ptr<float>(),
        });
    }

    /// <summary>Backward passes of matrices [first, last), with scratch from the shared array pool for the whole chunk.</summary>
    private struct AttentionBackwardMatrices : IRangeBody
    {
        public AttentionShape Shape;
        public float Scale;
        public float* Q, K, V, O, Lse, G, Gq, Gk, Gv;

        public readonly void Run(long first, long last)
        {
            AttentionShape shape = Shape;
            int floats = PanelFloats(shape.Lk, shape.E) + PanelFloats(shape.Lk, shape.Ev) + shape.Lq + 3 * AttentionQueryBlock * AttentionKeyBlock;
            float[] buffer = ArrayPool<float>.Shared.Rent(floats);
            fixed (float* scratch = buffer)
            {
                for (long n = first; n < last; n++)
                {
                    long qe = n * shape.Lq * shape.E, ke = n * shape.Lk * shape.E, kv = n * shape.Lk * shape.Ev, qv = n * shape.Lq * shape.Ev;
                    AttentionBackward(shape, n, Q + qe, K + ke, V + kv, O + qv, Lse + n * shape.Lq, G + qv, Gq + qe, Gk + ke, Gv + kv, Scale, scratch);
                }
            }
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>The sizes of a fused attention call: Count matrices of Lq queries and Lk keys of E features, values of Ev.</summary>
    private readonly struct AttentionShape(Tensor query, Tensor key, Tensor value, bool causal, float dropout, ulong seed)
    {
        public readonly long Count = query.Size(0);
        public readonly int Lq = query.Size(1), Lk = key.Size(1), E = query.Size(2), Ev = value.Size(2);
        public readonly bool Causal = causal;
        public readonly float Dropout = dropout;
        public readonly ulong Seed = seed;

        /// <summary>Weights whose 24-bit hash is below this are dropped.</summary>
        private readonly int dropThreshold = (int)Math.Min(dropout * (1 << 24), (1 << 24) - 1);

        /// <summary>Keys query <paramref name="i"/> sees.</summary>
        public int Visible(int i) => Causal ? Math.Min(Lk, i + 1) : Lk;

        /// <summary>A 32-bit key for the weights of query <paramref name="i"/> of matrix <paramref name="n"/> (SplitMix64 of the seed and row).</summary>
        public uint RowKey(long n, int i)
        {
            ulong z = Seed + (ulong)(n * Lq + i + 1) * 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return (uint)((z ^ (z >> 31)) >> 32);
        }

        /// <summary>
        /// Dropout over the weights of one query row, keys j0 + t for t &lt; count: a weight is dropped (0) when the top 24 bits of
        /// a 32-bit hash of the row key and its key index fall below the threshold, and kept ones are scaled by 1/(1 − p). The
        /// same decisions apply to <paramref name="also"/> when given (the backward pass's weights and their gradients).
        /// </summary>
        public void Drop(uint rowKey, int j0, float* w, float* also, int count)
        {
            float scale = 1 / (1 - Dropout);
            int lanes = Vector<uint>.Count, t = 0;
            var key = new Vector<uint>(rowKey);
            var threshold = new Vector<int>(dropThreshold);
            var scaled = new Vector<float>(scale);
            for (; t + lanes <= count; t += lanes)
            {
                Vector<uint> index = new Vector<uint>((uint)(j0 + t)) + LaneIndices;
                Vector<int> keep = Vector.GreaterThanOrEqual(Vector.AsVectorInt32(Vector.ShiftRightLogical(Mix(key ^ (index * Golden)), 8)), threshold);
                Store(Vector.ConditionalSelect(keep, Load(w + t) * scaled, Vector<float>.Zero), w + t);
                if (also != null) Store(Vector.ConditionalSelect(keep, Load(also + t) * scaled, Vector<float>.Zero), also + t);
            }
            for (; t < count; t++)
            {
                bool kept = (int)(Mix(rowKey ^ ((uint)(j0 + t) * GoldenRatio)) >> 8) >= dropThreshold;
                w[t] = kept ? w[t] * scale : 0;
                if (also != null) also[t] = kept ? also[t] * scale : 0;
            }
        }

        private const uint GoldenRatio = 0x9E3779B9;
        private static readonly Vector<uint> Golden = new(GoldenRatio);
        private static readonly Vector<uint> LaneIndices = CreateLaneIndices();

        private static Vector<uint> CreateLaneIndices()
        {
            Span<uint> lanes = stackalloc uint[Vector<uint>.Count];
            for (int i = 0; i < lanes.Length; i++) lanes[i] = (uint)i;
            return new Vector<uint>(lanes);
        }

        /// <summary>MurmurHash3's 32-bit finalizer, on every lane.</summary>
        private static Vector<uint> Mix(Vector<uint> h)
        {
            h ^= Vector.ShiftRightLogical(h, 16);
            h *= new Vector<uint>(0x85EBCA6B);
            h ^= Vector.ShiftRightLogical(h, 13);
            h *= new Vector<uint>(0xC2B2AE35);
            return h ^ Vector.ShiftRightLogical(h, 16);
        }

        private static uint Mix(uint h)
        {
            h ^= h >> 16;
            h *= 0x85EBCA6B;
            h ^= h >> 13;
            h *= 0xC2B2AE35;
            return h ^ (h >> 16);
        }
    }

    /// <summary>
    /// One matrix of the forward pass: query rows in blocks, keys in blocks; each row keeps a running maximum and sum of its
    /// exponentials (the online softmax) and its output rescaled whenever the maximum grows.
    /// </summary>
    private static void AttentionForward(in AttentionShape s, long n, float* q, float* k, float* v, float* o, float* lse, float scale, float* scratch)
    {
        int e = s.E, ev = s.Ev, lk = s.Lk;
        float* keysT = scratch, weights = keysT + PanelFloats(lk, e), maxima = weights + AttentionQueryBlock * AttentionKeyBlock, sums = maxima + AttentionQueryBlock;
        TransposeIntoPanels(k, lk, e, keysT);
        for (int i0 = 0; i0 < s.Lq; i0 += AttentionQueryBlock)
        {
            int rows = Math.Min(AttentionQueryBlock, s.Lq - i0);
            new Span<float>(o + (long)i0 * ev, rows * ev).Clear();
            new Span<float>(maxima, rows).Fill(float.NegativeInfinity);
            new Span<float>(sums, rows).Clear();
            for (int j0 = 0; j0 < s.Visible(i0 + rows - 1); j0 += AttentionKeyBlock)
            {
                for (int r = 0; r < rows; r++)
                {
                    int i = i0 + r, count = Math.Min(AttentionKeyBlock, s.Visible(i) - j0);
                    if (count <= 0) continue;
                    float* w = weights + r * AttentionKeyBlock, oi = o + (long)i * ev;
                    // The whole (zero-padded) panel: a causal row's masked keys cost less than narrower, latency-bound loops.
                    new Span<float>(w, AttentionKeyBlock).Clear();
                    AddRowTimesMatrix(q + (long)i * e, e, keysT + (long)j0 * e, AttentionKeyBlock, AttentionKeyBlock, w);
                    var raw = new ReadOnlySpan<float>(w, count);
                    float blockMax = scale * (scale >= 0 ? TensorPrimitives.Max(raw) : TensorPrimitives.Min(raw));
                    if (blockMax > maxima[r])
                    {
                        float rescale = MathF.Exp(maxima[r] - blockMax);
                        sums[r] *= rescale;
                        TensorPrimitives.Multiply(new ReadOnlySpan<float>(oi, ev), rescale, new Span<float>(oi, ev));
                        maxima[r] = blockMax;
                    }
                    sums[r] += Simd.ExpSum(w, scale, maxima[r], w, count);
                    if (s.Dropout != 0) s.Drop(s.RowKey(n, i), j0, w, null, count);
                    AddRowTimesMatrix(w, count, v + (long)j0 * ev, ev, ev, oi);
                }
            }
            for (int r = 0; r < rows; r++)
            {
                float* oi = o + (long)(i0 + r) * ev;
                TensorPrimitives.Multiply(new ReadOnlySpan<float>(oi, ev), 1 / sums[r], new Span<float>(oi, ev));
                lse[i0 + r] = maxima[r] + MathF.Log(sums[r]);
            }
        }
    }

    /// <summary>
    /// One matrix of the backward pass, key block by key block over blocks of the queries that see it: the weights p are
    /// recomputed from the saved log-sum-exp, dS = p·(dO·Vᵀ − Σ dO·O)·scale, dQ += dS·K row by row, and dV += pᵀ·dO and
    /// dK += dSᵀ·Q once per query block from the tiles' columns (each key's gradient row is stored once per block).
    /// </summary>
    private static void AttentionBackward(in AttentionShape s, long n, float* q, float* k, float* v, float* o, float* lse, float* g,
        float* gq, float* gk, float* gv, float scale, float* scratch)
    {
        const int tile = AttentionQueryBlock * AttentionKeyBlock;
        int e = s.E, ev = s.Ev, lk = s.Lk, lq = s.Lq;
        float* keysT = scratch, valuesT = keysT + PanelFloats(lk, e), rowDots = valuesT + PanelFloats(lk, ev);
        float* weights = rowDots + lq, kept = weights + tile, slopes = kept + tile;
        TransposeIntoPanels(k, lk, e, keysT);
        TransposeIntoPanels(v, lk, ev, valuesT);
        for (int i = 0; i < lq; i++)
            rowDots[i] = TensorPrimitives.Dot(new ReadOnlySpan<float>(g + (long)i * ev, ev), new ReadOnlySpan<float>(o + (long)i * ev, ev));
        new Span<float>(gq, lq * e).Clear();
        new Span<float>(gk, lk * e).Clear();
        new Span<float>(gv, lk * ev).Clear();
        for (int j0 = 0; j0 < lk; j0 += AttentionKeyBlock)
        {
            int width = Math.Min(AttentionKeyBlock, lk - j0);
            for (int i0 = s.Causal ? j0 : 0; i0 < lq; i0 += AttentionQueryBlock)
            {
                int rows = Math.Min(AttentionQueryBlock, lq - i0);
                new Span<float>(weights, tile).Clear();
                new Span<float>(slopes, tile).Clear();
                for (int r = 0; r < rows; r++)
                {
                    int i = i0 + r, count = Math.Min(AttentionKeyBlock, s.Visible(i) - j0);
                    float* p = weights + r * AttentionKeyBlock, dp = slopes + r * AttentionKeyBlock;
                    // Whole (zero-padded) panels, as in the forward pass; the keys this row does not see are zeroed after.
                    AddRowTimesMatrix(q + (long)i * e, e, keysT + (long)j0 * e, AttentionKeyBlock, AttentionKeyBlock, p);
                    Simd.ExpSum(p, scale, lse[i], p, count);
                    AddRowTimesMatrix(g + (long)i * ev, ev, valuesT + (long)j0 * ev, AttentionKeyBlock, AttentionKeyBlock, dp);
                    new Span<float>(p + count, AttentionKeyBlock - count).Clear();
                    new Span<float>(dp + count, AttentionKeyBlock - count).Clear();
                    if (s.Dropout != 0)
                    {
                        float* pk = kept + r * AttentionKeyBlock;
                        new ReadOnlySpan<float>(p, AttentionKeyBlock).CopyTo(new Span<float>(pk, AttentionKeyBlock));
                        s.Drop(s.RowKey(n, i), j0, pk, dp, count);
                    }
                    Slopes(p, dp, rowDots[i], scale, count);
                    AddRowTimesMatrix(dp, count, k + (long)j0 * e, e, e, gq + (long)i * e);
                }
                float* used = s.Dropout != 0 ? kept : weights;
                for (int j = 0; j < width; j++)
                {
                    AddRowTimesMatrix(used + j, rows, g + (long)i0 * ev, ev, ev, gv + (long)(j0 + j) * ev, AttentionKeyBlock);
                    AddRowTimesMatrix(slopes + j, rows, q + (long)i0 * e, e, e, gk + (long)(j0 + j) * e, AttentionKeyBlock);
                }
            }
        }
    }

    /// <summary>dp[t] = p[t]·(dp[t] − rowDot)·scale for t &lt; count: the scores' gradients from the weights' gradients.</summary>
    private static void Slopes(float* p, float* dp, float rowDot, float scale, int count)
    {
        int lanes = Vector<float>.Count, t = 0;
        Vector<float> dot = new(rowDot), factor = new(scale);
        for (; t + lanes <= count; t += lanes) Store(Load(p + t) * (Load(dp + t) - dot) * factor, dp + t);
        for (; t < count; t++) dp[t] = p[t] * (dp[t] - rowDot) * scale;
    }

    /// <summary>
    /// A rows × cols matrix transposed into panels of <see cref="AttentionKeyBlock"/> rows: panel b holds rows [b·32, b·32 + 32) as
    /// cols × 32 (the last one padded with zeros), so a key block's features are 128 bytes apart instead of a whole row of keys,
    /// which at 1,024 keys would put all of them in one L1 cache set.
    /// </summary>
    private static void TransposeIntoPanels(float* src, int rows, int cols, float* dst)
    {
        for (int b = 0; b < rows; b += AttentionKeyBlock)
        {
            float* panel = dst + (long)b * cols;
            int count = Math.Min(AttentionKeyBlock, rows - b);
            for (int c = 0; c < cols; c++)
            {
                float* line = panel + (long)c * AttentionKeyBlock;
                for (int r = 0; r < count; r++) line[r] = src[(long)(b + r) * cols + c];
                for (int r = count; r < AttentionKeyBlock; r++) line[r] = 0;
            }
        }
    }

    /// <summary>Floats of <see cref="TransposeIntoPanels"/>'s result for <paramref name="rows"/> rows of <paramref name="cols"/>.</summary>
    private static int PanelFloats(int rows, int cols) => (rows + AttentionKeyBlock - 1) / AttentionKeyBlock * AttentionKeyBlock * cols;

    /// <summary>
    /// r[0, width) += Σ_t a[t·aStride]·m[t·ldm, t·ldm + width): a row vector (or a column, with a stride) times a matrix whose
    /// rows are ldm apart.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddRowTimesMatrix(float* a, int depth, float* m, long ldm, int width, float* r, int aStride = 1)
    {
        int lanes = Vector<float>.Count, j = 0;
        for (; j + 4 * lanes <= width; j += 4 * lanes)
        {
            // Two sets of four sums (even and odd t): eight independent FMA chains keep both FMA units busy despite their latency.
            Vector<float> r0 = Load(r + j), r1 = Load(r + j + lanes), r2 = Load(r + j + 2 * lanes), r3 = Load(r + j + 3 * lanes);
            Vector<float> s0 = Vector<float>.Zero, s1 = Vector<float>.Zero, s2 = Vector<float>.Zero, s3 = Vector<float>.Zero;
            float* row = m + j;
            int t = 0;
            for (; t + 2 <= depth; t += 2, row += 2 * ldm)
            {
                var at = new Vector<float>(a[t * aStride]);
                r0 = Vector.FusedMultiplyAdd(Load(row), at, r0);
                r1 = Vector.FusedMultiplyAdd(Load(row + lanes), at, r1);
                r2 = Vector.FusedMultiplyAdd(Load(row + 2 * lanes), at, r2);
                r3 = Vector.FusedMultiplyAdd(Load(row + 3 * lanes), at, r3);
                float* next = row + ldm;
                var an = new Vector<float>(a[(t + 1) * aStride]);
                s0 = Vector.FusedMultiplyAdd(Load(next), an, s0);
                s1 = Vector.FusedMultiplyAdd(Load(next + lanes), an, s1);
                s2 = Vector.FusedMultiplyAdd(Load(next + 2 * lanes), an, s2);
                s3 = Vector.FusedMultiplyAdd(Load(next + 3 * lanes), an, s3);
            }
            if (t < depth)
            {
                var at = new Vector<float>(a[t * aStride]);
                r0 = Vector.FusedMultiplyAdd(Load(row), at, r0);
                r1 = Vector.FusedMultiplyAdd(Load(row + lanes), at, r1);
                r2 = Vector.FusedMultiplyAdd(Load(row + 2 * lanes), at, r2);
                r3 = Vector.FusedMultiplyAdd(Load(row + 3 * lanes), at, r3);
            }
            Store(r0 + s0, r + j);
            Store(r1 + s1, r + j + lanes);
            Store(r2 + s2, r + j + 2 * lanes);
            Store(r3 + s3, r + j + 3 * lanes);
        }
        for (; j + lanes <= width; j += lanes)
        {
            Vector<float> r0 = Load(r + j);
            float* row = m + j;
            for (int t = 0; t < depth; t++, row += ldm) r0 = Vector.FusedMultiplyAdd(Load(row), new Vector<float>(a[t * aStride]), r0);
            Store(r0, r + j);
        }
        for (; j < width; j++)
        {
            float sum = r[j];
            for (int t = 0; t < depth; t++) sum = MathF.FusedMultiplyAdd(a[t * aStride], m[t * ldm + j], sum);
            r[j] = sum;
        }
    }

    private static Vector<float> Load(float* p) => Unsafe.ReadUnaligned<Vector<float>>(p);

    private static void Store(Vector<float> value, float* p) => Unsafe.WriteUnaligned(p, value);
}

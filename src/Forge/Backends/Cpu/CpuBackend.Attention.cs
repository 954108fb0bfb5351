using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Tensor = Forge.Tensors.Tensor;

namespace Forge.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>Keys per block of the forward pass (a multiple of <see cref="AttentionTileRows"/>): the block's transposed scores are six-row tiles.</summary>
    private const int ForwardKeyBlock = 24;

    /// <summary>
    /// Queries per block of the forward pass, a multiple of <see cref="AttentionTileRows"/> and of every vector width: a query per
    /// column of the transposed scores, whose softmax runs down the columns in whole vectors.
    /// </summary>
    private const int ForwardQueryBlock = 48;

    /// <summary>Keys per block of the backward pass: a block of transposed keys and its values (32 × 64 floats each at GPT-2's head size) stay in L1.</summary>
    private const int AttentionKeyBlock = 32;

    /// <summary>Query rows per block of the backward pass: each key block is used by this many rows while it is in L1 (a multiple of <see cref="AttentionTileRows"/>).</summary>
    private const int AttentionQueryBlock = 24;

    /// <summary>Rows of one tile of <see cref="MultiplyTile"/>.</summary>
    private const int AttentionTileRows = 6;

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
            int floats = PanelFloats(shape.Lk, shape.E, ForwardKeyBlock) + ForwardQueryBlock * (shape.E + ForwardKeyBlock + 4);
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
            int floats = PanelFloats(shape.Lk, shape.E, AttentionKeyBlock) + PanelFloats(shape.Lk, shape.Ev, AttentionKeyBlock) + PackedTileFloats(shape.Lq, shape.E)
                + PackedTileFloats(shape.Lq, shape.Ev) + shape.Lq + 3 * (AttentionQueryBlock * AttentionKeyBlock + TileSlack)
                + PackedTileFloats(AttentionQueryBlock, AttentionKeyBlock);
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
            var scaled = new Vector<float>(scale);
            for (; t + lanes <= count; t += lanes)
            {
                Vector<int> keep = Kept(key, new Vector<uint>((uint)(j0 + t)) + LaneIndices);
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

        /// <summary>
        /// <see cref="Drop"/>'s decisions for one key, <paramref name="keyIndex"/>, over the weights of <paramref name="count"/> queries
        /// whose row keys are <paramref name="rowKeys"/> (a multiple of the vector width, as the forward pass's transposed scores have).
        /// </summary>
        public void DropQueries(uint* rowKeys, int keyIndex, float* w, int count)
        {
            var index = new Vector<uint>((uint)keyIndex);
            var scaled = new Vector<float>(1 / (1 - Dropout));
            for (int r = 0; r < count; r += Vector<uint>.Count)
            {
                Vector<int> keep = Kept(Unsafe.ReadUnaligned<Vector<uint>>(rowKeys + r), index);
                Store(Vector.ConditionalSelect(keep, Load(w + r) * scaled, Vector<float>.Zero), w + r);
            }
        }

        /// <summary>Per lane, whether the weight of a row key and a key index is kept: the top 24 bits of their hash reach the threshold.</summary>
        private Vector<int> Kept(Vector<uint> rowKeys, Vector<uint> keyIndices) =>
            Vector.GreaterThanOrEqual(Vector.AsVectorInt32(Vector.ShiftRightLogical(Mix(rowKeys ^ (keyIndices * Golden)), 8)), new Vector<int>(dropThreshold));

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
    /// One matrix of the forward pass, query block by query block: each key block's scores are computed transposed (a query per
    /// column) as tiles of the keys against the block's scaled, transposed queries; every query keeps a running maximum and sum of
    /// its exponentials (the online softmax, down the columns), its output is rescaled whenever the maximum grows, and the
    /// weights, read down their columns, multiply the block's values into the output.
    /// </summary>
    private static void AttentionForward(in AttentionShape s, long n, float* q, float* k, float* v, float* o, float* lse, float scale, float* scratch)
    {
        const int kb = ForwardKeyBlock, qb = ForwardQueryBlock;
        int e = s.E, ev = s.Ev, lk = s.Lk;
        float* keysT = scratch, queriesT = keysT + PanelFloats(lk, e, kb), scores = queriesT + e * qb;
        float* maxima = scores + kb * qb, sums = maxima + qb, factors = sums + qb;
        uint* rowKeys = (uint*)(factors + qb);
        TransposeIntoPanels(k, lk, e, kb, keysT);
        for (int i0 = 0; i0 < s.Lq; i0 += qb)
        {
            int rows = Math.Min(qb, s.Lq - i0), visible = s.Visible(i0 + rows - 1);
            for (int f = 0; f < e; f++)
            {
                float* column = queriesT + f * qb;
                for (int r = 0; r < rows; r++) column[r] = scale * q[(long)(i0 + r) * e + f];
                new Span<float>(column + rows, qb - rows).Clear();
            }
            new Span<float>(o + (long)i0 * ev, rows * ev).Clear();
            new Span<float>(maxima, qb).Fill(float.NegativeInfinity);
            new Span<float>(sums, qb).Clear();
            if (s.Dropout != 0)
            {
                for (int r = 0; r < qb; r++) rowKeys[r] = r < rows ? s.RowKey(n, i0 + r) : 0;
            }
            for (int j0 = 0; j0 < visible; j0 += kb)
            {
                int keys = Math.Min(kb, visible - j0);
                MultiplyTiles(keysT + (long)j0 * e, kb, AttentionTileRows, keys, e, queriesT, qb, qb, scores, qb, false);
                if (s.Causal)
                {
                    // Key j0 + t is hidden from the queries before it.
                    for (int t = 0; t < keys; t++) new Span<float>(scores + t * qb, Math.Clamp(j0 + t - i0, 0, qb)).Fill(float.NegativeInfinity);
                }
                SoftmaxColumns(scores, keys, maxima, sums, factors);
                for (int r = 0; r < rows && j0 > 0; r++)
                {
                    var output = new Span<float>(o + (long)(i0 + r) * ev, ev);
                    if (factors[r] != 1) TensorPrimitives.Multiply(output, factors[r], output);
                }
                if (s.Dropout != 0)
                {
                    for (int t = 0; t < keys; t++) s.DropQueries(rowKeys, j0 + t, scores + t * qb, qb);
                }
                MultiplyTiles(scores, qb, AttentionTileRows, rows, keys, v + (long)j0 * ev, ev, ev, o + (long)i0 * ev, ev, true);
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
    /// The online softmax of one block of transposed scores (keys × <see cref="ForwardQueryBlock"/>, a query per column): raises
    /// each column's maximum to the block's largest score, replaces the scores by exp(score − maximum), adds them to the column's
    /// sum (rescaled first) and leaves in <paramref name="factors"/> exp(old maximum − new), by which the column's output is rescaled.
    /// </summary>
    private static void SoftmaxColumns(float* scores, int keys, float* maxima, float* sums, float* factors)
    {
        switch (Simd.Width)
        {
            case 512: SoftmaxColumns<V512>(scores, keys, maxima, sums, factors); break;
            case 256: SoftmaxColumns<V256>(scores, keys, maxima, sums, factors); break;
            case 128: SoftmaxColumns<V128>(scores, keys, maxima, sums, factors); break;
            default: SoftmaxColumns<V1>(scores, keys, maxima, sums, factors); break;
        }
    }

    private static void SoftmaxColumns<TV>(float* scores, int keys, float* maxima, float* sums, float* factors) where TV : unmanaged, IFloatVector<TV>
    {
        const int qb = ForwardQueryBlock;
        for (int c = 0; c < qb; c += TV.Count)
        {
            TV old = TV.Load(maxima + c), highest = old;
            for (int t = 0; t < keys; t++) highest = TV.Max(highest, TV.Load(scores + t * qb + c));
            TV factor = TV.Exp(old - highest), sum = TV.Load(sums + c) * factor;
            for (int t = 0; t < keys; t++)
            {
                TV w = TV.Exp(TV.Load(scores + t * qb + c) - highest);
                TV.Store(w, scores + t * qb + c);
                sum += w;
            }
            TV.Store(highest, maxima + c);
            TV.Store(factor, factors + c);
            TV.Store(sum, sums + c);
        }
    }

    /// <summary>
    /// One matrix of the backward pass, key block by key block over blocks of the queries that see it: the weights p are
    /// recomputed from the saved log-sum-exp, dS = p·(dO·Vᵀ − Σ dO·O)·scale, and dQ += dS·K, dV += pᵀ·dO and dK += dSᵀ·Q are
    /// products of tiles (<see cref="MultiplyTiles"/>) once per block.
    /// </summary>
    private static void AttentionBackward(in AttentionShape s, long n, float* q, float* k, float* v, float* o, float* lse, float* g,
        float* gq, float* gk, float* gv, float scale, float* scratch)
    {
        const int kb = AttentionKeyBlock, tile = AttentionQueryBlock * kb;
        int e = s.E, ev = s.Ev, lk = s.Lk, lq = s.Lq;
        float* keysT = scratch, valuesT = keysT + PanelFloats(lk, e, kb), queries = valuesT + PanelFloats(lk, ev, kb), grads = queries + PackedTileFloats(lq, e);
        float* rowDots = grads + PackedTileFloats(lq, ev), weights = rowDots + lq, kept = weights + tile + TileSlack, slopes = kept + tile + TileSlack;
        float* packed = slopes + tile + TileSlack;
        TransposeIntoPanels(k, lk, e, kb, keysT);
        TransposeIntoPanels(v, lk, ev, kb, valuesT);
        PackTileRows(q, e, 1, lq, e, queries);
        PackTileRows(g, ev, 1, lq, ev, grads);
        for (int i = 0; i < lq; i++)
            rowDots[i] = TensorPrimitives.Dot(new ReadOnlySpan<float>(g + (long)i * ev, ev), new ReadOnlySpan<float>(o + (long)i * ev, ev));
        new Span<float>(gq, lq * e).Clear();
        new Span<float>(gk, lk * e).Clear();
        new Span<float>(gv, lk * ev).Clear();
        for (int j0 = 0; j0 < lk; j0 += kb)
        {
            int width = Math.Min(kb, lk - j0);
            // Query blocks start on a block boundary, where the packed queries' tiles do: with a causal mask, rows before j0 see none of these keys.
            for (int i0 = s.Causal ? Math.Min(j0, lq) / AttentionQueryBlock * AttentionQueryBlock : 0; i0 < lq; i0 += AttentionQueryBlock)
            {
                int rows = Math.Min(AttentionQueryBlock, lq - i0);
                // Whole (zero-padded) panels, as in the forward pass; the keys a row does not see are zeroed after.
                MultiplyTiles(queries + (long)i0 * e, AttentionTileRows, AttentionTileRows * e, rows, e, keysT + (long)j0 * e, kb, kb, weights, kb, false);
                MultiplyTiles(grads + (long)i0 * ev, AttentionTileRows, AttentionTileRows * ev, rows, ev, valuesT + (long)j0 * ev, kb, kb, slopes, kb, false);
                for (int r = 0; r < rows; r++)
                {
                    int i = i0 + r, count = Math.Clamp(s.Visible(i) - j0, 0, kb);
                    float* p = weights + r * kb, dp = slopes + r * kb;
                    Simd.ExpSum(p, scale, lse[i], p, count);
                    new Span<float>(p + count, kb - count).Clear();
                    new Span<float>(dp + count, kb - count).Clear();
                    if (s.Dropout != 0)
                    {
                        float* pk = kept + r * kb;
                        new ReadOnlySpan<float>(p, kb).CopyTo(new Span<float>(pk, kb));
                        s.Drop(s.RowKey(n, i), j0, pk, dp, count);
                    }
                    Slopes(p, dp, rowDots[i], scale, count);
                }
                PackTileRows(slopes, kb, 1, rows, width, packed);
                MultiplyTiles(packed, AttentionTileRows, AttentionTileRows * width, rows, width, k + (long)j0 * e, e, e, gq + (long)i0 * e, e, true);
                // The weights and slopes of a block, read down their columns, are already the keys' operands: no packing.
                MultiplyTiles(s.Dropout != 0 ? kept : weights, kb, AttentionTileRows, width, rows, g + (long)i0 * ev, ev, ev, gv + (long)j0 * ev, ev, true);
                MultiplyTiles(slopes, kb, AttentionTileRows, width, rows, q + (long)i0 * e, e, e, gk + (long)j0 * e, e, true);
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
    /// A rows × cols matrix transposed into panels of <paramref name="width"/> rows: panel b holds rows [b·width, b·width + width) as
    /// cols × width (the last one padded with zeros), so a key block's features are a panel's width apart instead of a whole row of
    /// keys, which at 1,024 keys would put all of them in one L1 cache set.
    /// </summary>
    private static void TransposeIntoPanels(float* src, int rows, int cols, int width, float* dst)
    {
        for (int b = 0; b < rows; b += width)
        {
            float* panel = dst + (long)b * cols;
            int count = Math.Min(width, rows - b);
            for (int c = 0; c < cols; c++)
            {
                float* line = panel + (long)c * width;
                for (int r = 0; r < count; r++) line[r] = src[(long)(b + r) * cols + c];
                for (int r = count; r < width; r++) line[r] = 0;
            }
        }
    }

    /// <summary>Floats of <see cref="TransposeIntoPanels"/>'s result for <paramref name="rows"/> rows of <paramref name="cols"/> in panels of <paramref name="width"/>.</summary>
    private static int PanelFloats(int rows, int cols, int width) => (rows + width - 1) / width * width * cols;

    /// <summary>
    /// Packs the rows × depth values A[r, t] = a[r·rowStride + t·stepStride] in groups of <see cref="AttentionTileRows"/> rows
    /// for <see cref="MultiplyTiles"/>: group g holds, for each t, its rows' values one after another (zero past the last row).
    /// </summary>
    private static void PackTileRows(float* a, long rowStride, long stepStride, int rows, int depth, float* packed)
    {
        for (int g = 0; g < rows; g += AttentionTileRows)
        {
            int height = Math.Min(AttentionTileRows, rows - g);
            float* panel = packed + (long)g * depth, source = a + g * rowStride;
            for (int t = 0; t < depth; t++, source += stepStride)
            {
                float* values = panel + t * AttentionTileRows;
                for (int r = 0; r < height; r++) values[r] = source[r * rowStride];
                for (int r = height; r < AttentionTileRows; r++) values[r] = 0;
            }
        }
    }

    /// <summary>Floats after a matrix that <see cref="MultiplyTiles"/> reads down its columns (its last group may read past its last row).</summary>
    private const int TileSlack = AttentionTileRows;

    /// <summary>Floats of <see cref="PackTileRows"/>'s result for <paramref name="rows"/> rows of <paramref name="depth"/> values.</summary>
    private static int PackedTileFloats(int rows, int depth) => (rows + AttentionTileRows - 1) / AttentionTileRows * AttentionTileRows * depth;

    /// <summary>
    /// C[rows × width] (+)= A·B in tiles of six rows and two vectors of columns: A[r, t] = a[(r / 6)·groupStride + t·stepStride + r % 6]
    /// (<see cref="PackTileRows"/>'s layout with stepStride 6 and groupStride 6·depth, or a row-major matrix read down its columns
    /// with stepStride its row length and groupStride 6), B depth × width with rows <paramref name="ldb"/> apart, C with rows
    /// <paramref name="ldc"/> apart. A last group of fewer than six rows reads (and ignores) up to <see cref="TileSlack"/> values past A's last row.
    /// </summary>
    private static void MultiplyTiles(float* a, long stepStride, long groupStride, int rows, int depth, float* b, long ldb, int width, float* c, long ldc,
        bool accumulate)
    {
        int step = 2 * Vector<float>.Count;
        for (int g = 0; g < rows; g += AttentionTileRows)
        {
            float* group = a + g / AttentionTileRows * groupStride, cg = c + g * ldc;
            int height = Math.Min(AttentionTileRows, rows - g), j = 0;
            for (; j + step <= width; j += step) MultiplyTile(depth, group, stepStride, b + j, ldb, cg + j, ldc, height, accumulate);
            for (; j < width; j++)
            {
                for (int r = 0; r < height; r++)
                {
                    float sum = accumulate ? cg[r * ldc + j] : 0;
                    for (int t = 0; t < depth; t++) sum = MathF.FusedMultiplyAdd(group[t * stepStride + r], b[t * ldb + j], sum);
                    cg[r * ldc + j] = sum;
                }
            }
        }
    }

    /// <summary>
    /// One tile of <see cref="MultiplyTiles"/>: c[r·ldc + j] (+)= Σ_t a[t·stepStride + r]·b[t·ldb + j] for r &lt; <paramref name="rows"/>
    /// (at most six) and j &lt; 2·Vector&lt;float&gt;.Count, the sums held in twelve registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyTile(int depth, float* a, long stepStride, float* b, long ldb, float* c, long ldc, int rows, bool accumulate)
    {
        int lanes = Vector<float>.Count;
        Vector<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int t = 0; t < depth; t++, a += stepStride, b += ldb)
        {
            Vector<float> b0 = Load(b), b1 = Load(b + lanes);
            var x = new Vector<float>(a[0]);
            c00 = Vector.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector.FusedMultiplyAdd(x, b1, c01);
            x = new Vector<float>(a[1]);
            c10 = Vector.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector.FusedMultiplyAdd(x, b1, c11);
            x = new Vector<float>(a[2]);
            c20 = Vector.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector.FusedMultiplyAdd(x, b1, c21);
            x = new Vector<float>(a[3]);
            c30 = Vector.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector.FusedMultiplyAdd(x, b1, c31);
            x = new Vector<float>(a[4]);
            c40 = Vector.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector.FusedMultiplyAdd(x, b1, c41);
            x = new Vector<float>(a[5]);
            c50 = Vector.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector.FusedMultiplyAdd(x, b1, c51);
        }
        StoreTileRow(c, c00, c01, lanes, accumulate);
        if (rows > 1) StoreTileRow(c + ldc, c10, c11, lanes, accumulate);
        if (rows > 2) StoreTileRow(c + 2 * ldc, c20, c21, lanes, accumulate);
        if (rows > 3) StoreTileRow(c + 3 * ldc, c30, c31, lanes, accumulate);
        if (rows > 4) StoreTileRow(c + 4 * ldc, c40, c41, lanes, accumulate);
        if (rows > 5) StoreTileRow(c + 5 * ldc, c50, c51, lanes, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTileRow(float* c, Vector<float> v0, Vector<float> v1, int lanes, bool accumulate)
    {
        if (accumulate)
        {
            v0 += Load(c);
            v1 += Load(c + lanes);
        }
        Store(v0, c);
        Store(v1, c + lanes);
    }

    private static Vector<float> Load(float* p) => Unsafe.ReadUnaligned<Vector<float>>(p);

    private static void Store(Vector<float> value, float* p) => Unsafe.WriteUnaligned(p, value);
}

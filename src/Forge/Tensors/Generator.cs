namespace Forge.Tensors;

/// <summary>
/// A seedable random number generator (xoshiro256**). Every random op takes one, or uses <see cref="Default"/>;
/// the state can be saved and restored so an interrupted run continues with the same random stream.
/// </summary>
public sealed class Generator
{
    private ulong s0, s1, s2, s3;

    /// <summary>Creates a generator from a seed.</summary>
    public Generator(ulong seed = 0) => ManualSeed(seed);

    /// <summary>The generator used when none is given.</summary>
    public static Generator Default { get; } = new(0);

    /// <summary>Resets the generator to the stream of <paramref name="seed"/>.</summary>
    public void ManualSeed(ulong seed)
    {
        ulong x = seed;
        s0 = SplitMix(ref x);
        s1 = SplitMix(ref x);
        s2 = SplitMix(ref x);
        s3 = SplitMix(ref x);
    }

    /// <summary>The state, to be saved in a checkpoint.</summary>
    public ulong[] GetState() => [s0, s1, s2, s3];

    /// <summary>Restores a state taken with <see cref="GetState"/>.</summary>
    public void SetState(IReadOnlyList<ulong> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Count != 4) throw new ForgeException($"Generator state must have 4 words, found {state.Count}.");
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3]);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = RotateLeft(s3, 45);
        return result;
    }

    /// <summary>A uniform float in [0, 1).</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Fills <paramref name="destination"/> with the floats that as many <see cref="NextFloat"/> calls would return, faster.</summary>
    internal void FillUniform(Span<float> destination)
    {
        ulong a = s0, b = s1, c = s2, d = s3;
        for (int i = 0; i < destination.Length; i++)
        {
            ulong result = RotateLeft(b * 5, 7) * 9;
            ulong t = b << 17;
            c ^= a;
            d ^= b;
            b ^= c;
            a ^= d;
            c ^= t;
            d = RotateLeft(d, 45);
            destination[i] = (result >> 40) * (1.0f / (1 << 24));
        }
        (s0, s1, s2, s3) = (a, b, c, d);
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1L << 53));

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>).</summary>
    public long NextInt64(long maxExclusive)
    {
        if (maxExclusive <= 0) throw new ForgeException($"Upper bound must be positive, found {maxExclusive}.");
        ulong bound = (ulong)maxExclusive;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            if (r >= threshold) return (long)(r % bound);
        }
    }

    /// <summary>A standard normal sample (Box-Muller).</summary>
    public double NextNormal()
    {
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Shuffles a list in place (Fisher-Yates).</summary>
    public void Shuffle<T>(IList<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = (int)NextInt64(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

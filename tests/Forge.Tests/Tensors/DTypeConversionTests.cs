using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Tensors;

/// <summary>Conversions between dtypes, with bit patterns checked against torch 1.13's.</summary>
public class DTypeConversionTests
{
    private static float FromBits(uint bits) => BitConverter.UInt32BitsToSingle(bits);

    [Theory]
    [InlineData(0x3F800000u, (ushort)0x3F80)]
    [InlineData(0x3F808000u, (ushort)0x3F80)]
    [InlineData(0x3F818000u, (ushort)0x3F82)]
    [InlineData(0x3F808001u, (ushort)0x3F81)]
    [InlineData(0x40490FDBu, (ushort)0x4049)]
    [InlineData(0x7F800000u, (ushort)0x7F80)]
    [InlineData(0xFF800000u, (ushort)0xFF80)]
    [InlineData(0x80000000u, (ushort)0x8000)]
    [InlineData(0x7F7FFFFFu, (ushort)0x7F80)]
    [InlineData(0x7F7F0000u, (ushort)0x7F7F)]
    [InlineData(0x000116C2u, (ushort)0x0001)]
    [InlineData(0x00008000u, (ushort)0x0000)]
    [InlineData(0x80018000u, (ushort)0x8002)]
    public void Float32ToBFloat16RoundsToNearestEven(uint floatBits, ushort expected)
    {
        Assert.Equal(expected, DTypes.FloatToBFloat16(FromBits(floatBits)));
        Tensor converted = Tensor.FromArray(new[] { FromBits(floatBits) }).To(DType.BFloat16);
        Assert.Equal(expected, converted.ToArray<ushort>()[0]);
    }

    [Theory]
    [InlineData(0x7FC00000u)]
    [InlineData(0x7F800001u)]
    [InlineData(0xFFC00001u)]
    [InlineData(0x7FFFFFFFu)]
    public void BFloat16KeepsEveryNaNANaN(uint nanBits)
    {
        ushort bits = DTypes.FloatToBFloat16(FromBits(nanBits));
        Assert.Equal(0x7F80, bits & 0x7F80);
        Assert.NotEqual(0, bits & 0x007F);
        Assert.True(float.IsNaN(Tensor.FromArray(new[] { FromBits(nanBits) }).To(DType.BFloat16).To(DType.Float32).Item()));
    }

    [Fact]
    public void BFloat16RoundTripIsExactForEveryFiniteBFloat16Value()
    {
        var values = new float[65536];
        for (int bits = 0; bits < 65536; bits++) values[bits] = DTypes.BFloat16ToFloat((ushort)bits);
        Tensor back = Tensor.FromArray(values).To(DType.BFloat16);
        ushort[] roundTrip = back.ToArray<ushort>();
        for (int bits = 0; bits < 65536; bits++)
        {
            if (!float.IsNaN(values[bits])) Assert.Equal(bits, roundTrip[bits]);
        }
        float[] widened = back.To(DType.Float32).ToArray<float>();
        for (int bits = 0; bits < 65536; bits++)
        {
            if (!float.IsNaN(values[bits])) Assert.Equal(BitConverter.SingleToUInt32Bits(values[bits]), BitConverter.SingleToUInt32Bits(widened[bits]));
        }
    }

    [Theory]
    [InlineData(1.0f, (ushort)0x3C00)]
    [InlineData(65504f, (ushort)0x7BFF)]
    [InlineData(65519f, (ushort)0x7BFF)]
    [InlineData(65520f, (ushort)0x7C00)]
    [InlineData(1.00048828125f, (ushort)0x3C00)]
    [InlineData(1.00146484375f, (ushort)0x3C02)]
    [InlineData(5.9604645e-8f, (ushort)0x0001)]
    [InlineData(2.9802322e-8f, (ushort)0x0000)]
    [InlineData(4.4703484e-8f, (ushort)0x0001)]
    [InlineData(8.940697e-8f, (ushort)0x0002)]
    [InlineData(6.1035156e-5f, (ushort)0x0400)]
    [InlineData(float.NegativeInfinity, (ushort)0xFC00)]
    [InlineData(-0f, (ushort)0x8000)]
    [InlineData(1e-8f, (ushort)0x0000)]
    [InlineData(0.1f, (ushort)0x2E66)]
    public void Float32ToFloat16RoundsToNearestEvenIncludingSubnormalsAndOverflow(float value, ushort expected)
    {
        Half converted = Tensor.FromArray(new[] { value }).To(DType.Float16).ToArray<Half>()[0];
        Assert.Equal(expected, BitConverter.HalfToUInt16Bits(converted));
    }

    [Fact]
    public void Float16RoundTripIsExactForEveryFloat16Value()
    {
        var values = new Half[65536];
        for (int bits = 0; bits < 65536; bits++) values[bits] = BitConverter.UInt16BitsToHalf((ushort)bits);
        float[] widened = Tensor.FromArray(values).To(DType.Float32).ToArray<float>();
        Half[] back = Tensor.FromArray(widened).To(DType.Float16).ToArray<Half>();
        for (int bits = 0; bits < 65536; bits++)
        {
            if (Half.IsNaN(values[bits]))
            {
                Assert.True(Half.IsNaN(back[bits]) && float.IsNaN(widened[bits]));
                continue;
            }
            Assert.Equal(bits, BitConverter.HalfToUInt16Bits(back[bits]));
        }
    }

    [Fact]
    public void Float16AndBFloat16ConvertToEachOtherThroughFloat32()
    {
        Tensor half = Tensor.FromArray(new[] { 1.5f, -2.25f, 1024f, 3e-5f }).To(DType.Float16);
        Tensor brain = half.To(DType.BFloat16);
        Assert.Equal(new ushort[] { 0x3FC0, 0xC010, 0x4480, DTypes.FloatToBFloat16((float)(Half)3e-5f) }, brain.ToArray<ushort>());
        TensorAssert.Close(half.To(DType.Float32), brain.To(DType.Float16).To(DType.Float32), 1e-2, 0);
    }

    [Fact]
    public void FloatToIntegerConversionTruncatesTowardZero()
    {
        Tensor x = Tensor.FromArray(new[] { 2.7f, -2.7f, 127.9f, -128.5f });
        Assert.Equal(new sbyte[] { 2, -2, 127, -128 }, x.To(DType.Int8).ToArray<sbyte>());
        Assert.Equal(new[] { 2, -2, 127, -128 }, x.To(DType.Int32).ToArray<int>());
        Assert.Equal(new long[] { 2, -2, 127, -128 }, x.To(DType.Int64).ToArray<long>());
    }

    [Fact]
    public void ConversionToBoolIsTrueForNonZeroAndNaN()
    {
        Tensor x = Tensor.FromArray(new[] { 0f, float.NaN, -0f, 0.1f });
        Assert.Equal(new[] { false, true, false, true }, x.To(DType.Bool).ToArray<bool>());
        Assert.Equal(new[] { false, true }, Tensor.FromArray(new long[] { 0, -5 }).To(DType.Bool).ToArray<bool>());
        Assert.Equal(new[] { 0f, 1f }, Tensor.FromArray(new[] { false, true }).To(DType.Float32).ToArray<float>());
    }

    [Fact]
    public void ConversionOfNonContiguousTensorFollowsLogicalOrder()
    {
        Tensor x = Tensor.Arange(0, 6, 1, DType.Float32).Reshape(2, 3).MT;
        Assert.Equal(new long[] { 0, 3, 1, 4, 2, 5 }, x.To(DType.Int64).ToArray<long>());
        Assert.Equal(new[] { 0f, 3f, 1f, 4f, 2f, 5f }, x.To(DType.BFloat16).To(DType.Float32).ToArray<float>());
    }

    [Fact]
    public void ToTheSameDTypeReturnsTheSameTensor()
    {
        Tensor x = Tensor.Ones(3);
        Assert.Same(x, x.To(DType.Float32));
    }
}

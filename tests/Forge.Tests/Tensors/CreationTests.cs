using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Tensors;

public class CreationTests
{
    [Fact]
    public void ArangeOfWholeNumbersIsInt64()
    {
        Tensor t = Tensor.Arange(2, 7, 2);
        Assert.Equal(DType.Int64, t.DType);
        TensorAssert.Equal(new long[] { 2, 4, 6 }, t);
        Assert.Equal(DType.Int64, Tensor.Arange(4).DType);
    }

    [Fact]
    public void ArangeWithFractionalStepIsFloat32()
    {
        Tensor t = Tensor.Arange(0, 1, 0.25);
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(new[] { 0f, 0.25f, 0.5f, 0.75f }, t.ToArray<float>());
    }

    [Fact]
    public void ArangeWithFractionalStartOrEndIsFloat32()
    {
        Tensor fromHalf = Tensor.Arange(0.5, 3);
        Assert.Equal(DType.Float32, fromHalf.DType);
        Assert.Equal(new[] { 0.5f, 1.5f, 2.5f }, fromHalf.ToArray<float>());
        Tensor toFraction = Tensor.Arange(0, 2.5);
        Assert.Equal(DType.Float32, toFraction.DType);
        Assert.Equal(new[] { 0f, 1f, 2f }, toFraction.ToArray<float>());
    }

    [Fact]
    public void ArangeHonoursAnExplicitDType()
    {
        Tensor t = Tensor.Arange(0, 3, 1, DType.Float32);
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(new[] { 0f, 1f, 2f }, t.ToArray<float>());
        Assert.Equal(new[] { 1, 3 }, Tensor.Arange(1, 5, 2, DType.Int32).ToArray<int>());
    }

    [Fact]
    public void ArangeCountsDownWithNegativeStep()
    {
        TensorAssert.Equal(new long[] { 5, 3, 1 }, Tensor.Arange(5, 0, -2));
        Assert.Equal(new[] { 1f, 0.5f }, Tensor.Arange(1, 0, -0.5).ToArray<float>());
    }

    [Fact]
    public void ArangeOfEmptyRangeHasNoElements()
    {
        Assert.Equal(new[] { 0 }, Tensor.Arange(3, 3).Shape);
        Assert.Equal(new[] { 0 }, Tensor.Arange(3, 1).Shape);
    }

    [Theory]
    [InlineData(0, 5, 0)]
    [InlineData(double.NaN, 5, 1)]
    [InlineData(0, double.PositiveInfinity, 1)]
    public void ArangeRejectsZeroStepAndNonFiniteArguments(double start, double end, double step)
    {
        Assert.Throws<ForgeException>(() => Tensor.Arange(start, end, step));
    }

    [Fact]
    public void FromArrayCreatesInt8BoolInt32AndUInt8Tensors()
    {
        Tensor int8 = Tensor.FromArray(new sbyte[] { -128, 0, 127 });
        Assert.Equal(DType.Int8, int8.DType);
        Assert.Equal(new sbyte[] { -128, 0, 127 }, int8.ToArray<sbyte>());
        Tensor flags = Tensor.FromArray(new[] { true, false, true, true }, 2, 2);
        Assert.Equal(DType.Bool, flags.DType);
        Assert.Equal(new[] { 2, 2 }, flags.Shape);
        Assert.Equal(new[] { true, false, true, true }, flags.ToArray<bool>());
        Tensor int32 = Tensor.FromArray(new[] { int.MinValue, 7, int.MaxValue });
        Assert.Equal(DType.Int32, int32.DType);
        Assert.Equal(new long[] { int.MinValue, 7, int.MaxValue }, int32.To(DType.Int64).ToArray<long>());
        Assert.Equal(DType.UInt8, Tensor.FromArray(new byte[] { 255 }).DType);
    }

    [Theory]
    [InlineData(DType.Float32, 4)]
    [InlineData(DType.Float16, 2)]
    [InlineData(DType.BFloat16, 2)]
    [InlineData(DType.Int64, 8)]
    [InlineData(DType.Int32, 4)]
    [InlineData(DType.Int8, 1)]
    [InlineData(DType.UInt8, 1)]
    [InlineData(DType.Bool, 1)]
    public void ZerosOnesAndFullExistForEveryDType(DType dtype, int size)
    {
        Assert.Equal(size, dtype.SizeOf());
        Tensor zeros = Tensor.Zeros([2, 3], dtype);
        Tensor ones = Tensor.Ones([2, 3], dtype);
        Tensor full = Tensor.Full([2, 3], 5, dtype);
        Assert.Equal(dtype, zeros.DType);
        Assert.Equal(6, zeros.Numel);
        Assert.All(zeros.To(DType.Float32).ToArray<float>(), v => Assert.Equal(0f, v));
        Assert.All(ones.To(DType.Float32).ToArray<float>(), v => Assert.Equal(1f, v));
        Assert.All(full.To(DType.Float32).ToArray<float>(), v => Assert.Equal(dtype == DType.Bool ? 1f : 5f, v));
        Assert.Equal(dtype, Tensor.OnesLike(zeros).DType);
        Assert.Equal(dtype, Tensor.EmptyLike(zeros).DType);
    }

    [Fact]
    public void DTypeOfMapsElementTypes()
    {
        Assert.Equal(DType.Float32, Tensor.DTypeOf<float>());
        Assert.Equal(DType.Int64, Tensor.DTypeOf<long>());
        Assert.Equal(DType.Int32, Tensor.DTypeOf<int>());
        Assert.Equal(DType.Bool, Tensor.DTypeOf<bool>());
        Assert.Equal(DType.Int8, Tensor.DTypeOf<sbyte>());
        Assert.Equal(DType.UInt8, Tensor.DTypeOf<byte>());
        Assert.Equal(DType.Float16, Tensor.DTypeOf<Half>());
        Assert.Throws<ForgeException>(() => Tensor.DTypeOf<double>());
    }

    [Fact]
    public void ToArrayOfTheWrongElementTypeIsRejected()
    {
        Assert.Throws<ForgeException>(() => Tensor.Ones(2).ToArray<long>());
        Assert.Throws<ForgeException>(() => Tensor.Ones([2], DType.Int8).ToArray<byte>());
        Assert.Equal(new ushort[] { 0x3F80 }, Tensor.Ones([1], DType.BFloat16).ToArray<ushort>());
    }

    [Fact]
    public void IntegerTensorsCannotRequireGradientsOrEnterFloatOps()
    {
        Tensor ints = Tensor.FromArray(new[] { 1, 2 });
        Assert.Throws<ForgeException>(() => ints.RequireGrad());
        var error = Assert.Throws<ForgeException>(() => ints.Sum());
        Assert.Contains("Int32", error.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => Tensor.FromArray(new long[] { 1 }).Add(Tensor.Ones(1)));
    }

    [Fact]
    public void FromArrayRejectsAShapeThatDoesNotHoldTheValues()
    {
        var error = Assert.Throws<ForgeException>(() => Tensor.FromArray(new[] { 1f, 2f, 3f }, 2, 2));
        Assert.Contains("[2, 2]", error.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => Tensor.Zeros(-1, 2));
    }

    [Fact]
    public void ScalarAndItemRoundTripAZeroDimensionalTensor()
    {
        Tensor s = Tensor.Scalar(2.5f);
        Assert.Empty(s.Shape);
        Assert.Equal(1, s.Numel);
        Assert.Equal(2.5f, s.Item());
        Assert.Throws<ForgeException>(() => Tensor.Ones(2).Item());
    }
}

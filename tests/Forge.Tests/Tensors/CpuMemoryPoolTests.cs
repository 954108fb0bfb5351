using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Tensors;

public sealed class CpuMemoryPoolTests
{
    [Fact]
    public void RecycledArraysComeBackZeroedWhenZerosAreAskedFor()
    {
        const int length = 123_457;
        for (int round = 0; round < 3; round++)
        {
            FillAndDrop(length);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Assert.True(CpuMemoryPool.PooledBytes > 0, "a collected large storage returns its array to the pool");
            Assert.All(Tensor.Zeros([length]).ToArray<float>(), v => Assert.Equal(0f, v));
            Assert.InRange(CpuMemoryPool.PooledBytes, 0, CpuMemoryPool.CapacityBytes);
        }
    }

    [Fact]
    public void SmallStoragesAreNotPooled()
    {
        Tensor small = Tensor.Zeros([16]);
        Assert.IsType<long[]>(small.Storage.Owner);
        Assert.IsNotType<long[]>(Tensor.Zeros([(int)(CpuMemoryPool.MinimumBytes / 4)]).Storage.Owner);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void FillAndDrop(int length) => Tensor.Full([length], 7).ToArray<float>();
}

using Forge.Backends;
using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Backends;

/// <summary>Runs alone, since it replaces the process-wide CPU backend and checks it is put back.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CpuBackendGroup
{
    public const string Name = "CPU backend replaced";
}

[Collection(CpuBackendGroup.Name)]
public sealed class TimingBackendTests
{
    [Fact]
    public void MeasureTimesTheKernelsOfTheBodyByShapeAndRestoresTheBackendEvenOnFailure()
    {
        IBackend original = BackendRegistry.Cpu;
        var report = TimingBackend.Measure(() => Tensor.Ones([3, 4]).MatMul(Tensor.Ones([4, 5])), keyByShape: true);
        Assert.Contains(report, k => k.Kernel == "MatMul [3, 4]x[4, 5]x[3, 5]" && k.Calls >= 1 && k.Seconds >= 0);
        Assert.Same(original, BackendRegistry.Cpu);

        Assert.Throws<InvalidOperationException>(() => TimingBackend.Measure(() => throw new InvalidOperationException("body failed"), keyByShape: false));
        Assert.Same(original, BackendRegistry.Cpu);
    }
}

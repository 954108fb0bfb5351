using Forge.Autograd;
using Forge.Nn;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Nn;

public class TrainEvalTests
{
    private sealed class Net(Generator generator) : Module<Tensor, Tensor>
    {
        public Sequential Body { get; } = new(new Linear(4, 4, generator: generator), new Dropout(0.5f, generator), new BatchNorm1d(4));

        protected override Tensor ForwardCore(Tensor input) => Body.Forward(input);
    }

    [Fact]
    public void TrainAndEvalReachEveryNestedModule()
    {
        var net = new Net(new Generator(1));
        Assert.All(net.Modules(), m => Assert.True(m.Training));
        net.Eval();
        Assert.All(net.Modules(), m => Assert.False(m.Training));
        net.Body[1].Train();
        Assert.True(net.Body[1].Training);
        Assert.False(net.Body[0].Training);
        net.Train();
        Assert.All(net.Modules(), m => Assert.True(m.Training));
    }

    [Fact]
    public void DropoutZeroesAndRescalesInTrainingAndIsTheIdentityInEvaluation()
    {
        var dropout = new Dropout(0.25f, new Generator(2));
        Tensor x = Tensor.Ones(10_000);
        float[] trained = dropout.Forward(x).ToArray<float>();
        Assert.All(trained, v => Assert.True(v == 0f || Math.Abs(v - 4f / 3) < 1e-6));
        double dropped = trained.Count(v => v == 0) / 10_000.0;
        Assert.InRange(dropped, 0.22, 0.28);
        dropout.Eval();
        Assert.Same(x, dropout.Forward(x));
    }

    [Fact]
    public void SeededDropoutModulesRepeatTheirMasks()
    {
        Tensor x = Tensor.Ones(100);
        float[] a = new Dropout(0.5f, new Generator(3)).Forward(x).ToArray<float>();
        float[] b = new Dropout(0.5f, new Generator(3)).Forward(x).ToArray<float>();
        Assert.Equal(a, b);
    }

    [Fact]
    public void BatchNormUpdatesRunningStatisticsOnlyInTraining()
    {
        var norm = new BatchNorm2d(2, momentum: 0.5f);
        Tensor x = Tensor.Randn([4, 2, 3, 3], new Generator(4)).Mul(3).Add(2);
        norm.Forward(x);
        Tensor mean = x.Mean([0, 2, 3]);
        Tensor variance = x.Var([0, 2, 3], correction: 1);
        TensorAssert.Close(mean.Mul(0.5f), norm.RunningMean!, 1e-5, 1e-6);
        TensorAssert.Close(variance.Mul(0.5f).Add(0.5f), norm.RunningVar!, 1e-5, 1e-6);
        Assert.Equal([1L], norm.NumBatchesTracked!.ToArray<long>());
        norm.Eval();
        float[] runningMean = norm.RunningMean!.ToArray<float>();
        Tensor y = norm.Forward(x);
        Assert.Equal(runningMean, norm.RunningMean!.ToArray<float>());
        Assert.Equal([1L], norm.NumBatchesTracked!.ToArray<long>());
        Tensor expected = x.Sub(norm.RunningMean!.View(1, 2, 1, 1)).Div(norm.RunningVar!.Add(1e-5f).Sqrt().View(1, 2, 1, 1));
        TensorAssert.Close(expected, y, 1e-5, 1e-5);
    }

    [Fact]
    public void BatchNormWithoutMomentumKeepsACumulativeAverage()
    {
        var norm = new BatchNorm1d(3, momentum: null);
        Tensor a = Tensor.Randn([8, 3], new Generator(5)), b = Tensor.Randn([8, 3], new Generator(6)).Add(4);
        norm.Forward(a);
        norm.Forward(b);
        TensorAssert.Close(a.Mean(0).Add(b.Mean(0)).Div(2), norm.RunningMean!, 1e-5, 1e-6);
        Assert.Equal([2L], norm.NumBatchesTracked!.ToArray<long>());
    }

    [Fact]
    public void BatchNormWithoutRunningStatisticsUsesBatchStatisticsInEvaluation()
    {
        var norm = new BatchNorm1d(2, trackRunningStats: false);
        Assert.Empty(norm.Buffers());
        norm.Eval();
        Tensor y = norm.Forward(Tensor.Randn([16, 2], new Generator(7)).Add(5));
        TensorAssert.Close(Tensor.Zeros(2), y.Mean(0), 0, 1e-5);
    }

    [Fact]
    public void AttentionDropoutActsOnlyInTraining()
    {
        var attention = new MultiHeadAttention(8, 2, dropout: 0.5f, generator: new Generator(8));
        Tensor x = Tensor.Randn([2, 5, 8], new Generator(9));
        float[] trained = attention.Forward(x).Output.ToArray<float>();
        attention.Eval();
        float[] first, second;
        using (GradMode.NoGrad())
        {
            first = attention.Forward(x).Output.ToArray<float>();
            second = attention.Forward(x).Output.ToArray<float>();
        }
        Assert.Equal(first, second);
        Assert.NotEqual(first, trained);
    }
}

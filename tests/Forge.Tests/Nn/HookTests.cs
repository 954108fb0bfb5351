using Forge.Nn;
using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Nn;

public class HookTests
{
    [Fact]
    public void HooksRunAroundForwardInRegistrationOrder()
    {
        var linear = new Linear(3, 2, generator: new Generator(1));
        var calls = new List<string>();
        linear.RegisterForwardPreHook((_, _) => calls.Add("pre 1"));
        linear.RegisterForwardPreHook((_, _) => calls.Add("pre 2"));
        linear.RegisterForwardHook((_, _, _) => calls.Add("post 1"));
        linear.RegisterForwardHook((_, _, _) => calls.Add("post 2"));
        linear.Forward(Tensor.Ones(1, 3));
        Assert.Equal(["pre 1", "pre 2", "post 1", "post 2"], calls);
    }

    [Fact]
    public void LayerNormAddAndNormalizeRunsHooksOnTheSumWhenThereAreAny()
    {
        var norm = new LayerNorm(4);
        Tensor x = Tensor.Randn([2, 4], new Generator(3)), residual = Tensor.Randn([2, 4], new Generator(4));
        var (fusedSum, fusedNormalized) = norm.AddAndNormalize(x, residual);
        Tensor? seen = null;
        norm.RegisterForwardPreHook((_, input) => seen = input);
        var (sum, normalized) = norm.AddAndNormalize(x, residual);
        Assert.Same(sum, seen);
        Assert.Equal(fusedSum.ToArray<float>(), sum.ToArray<float>());
        Assert.Equal(fusedNormalized.ToArray<float>(), normalized.ToArray<float>());
    }

    [Fact]
    public void HooksSeeTheModuleInputAndOutput()
    {
        var linear = new Linear(3, 2, generator: new Generator(2));
        Tensor x = Tensor.Ones(1, 3);
        (Module? Module, Tensor? Input, Tensor? Output) seen = default;
        linear.RegisterForwardHook((module, input, output) => seen = (module, input, output));
        Tensor y = linear.Forward(x);
        Assert.Same(linear, seen.Module);
        Assert.Same(x, seen.Input);
        Assert.Same(y, seen.Output);
    }

    [Fact]
    public void HooksCanReplaceTheInputAndTheOutput()
    {
        var linear = new Linear(3, 2, generator: new Generator(3));
        Tensor x = Tensor.Ones(1, 3);
        float[] plain = linear.Forward(x).ToArray<float>();
        using (linear.RegisterForwardHook((_, _, output) => output.Mul(2)))
        {
            Assert.Equal(plain.Select(v => 2 * v), linear.Forward(x).ToArray<float>());
        }
        using (linear.RegisterForwardPreHook((_, input) => input.Mul(0)))
        {
            Assert.Equal(linear.Bias!.ToArray<float>(), linear.Forward(x).Reshape(-1).ToArray<float>());
        }
        Assert.Equal(plain, linear.Forward(x).ToArray<float>());
    }

    [Fact]
    public void RemovedHooksStopRunningAndRemovingTwiceIsHarmless()
    {
        var relu = new Relu();
        int count = 0;
        HookHandle handle = relu.RegisterForwardHook((_, _, _) => count++);
        relu.Forward(Tensor.Ones(2));
        handle.Remove();
        handle.Remove();
        handle.Dispose();
        relu.Forward(Tensor.Ones(2));
        Assert.Equal(1, count);
    }

    [Fact]
    public void AHookCanRemoveItselfWhileRunning()
    {
        var relu = new Relu();
        int count = 0;
        HookHandle? handle = null;
        handle = relu.RegisterForwardHook((_, _, _) =>
        {
            count++;
            handle!.Remove();
        });
        relu.Forward(Tensor.Ones(2));
        relu.Forward(Tensor.Ones(2));
        Assert.Equal(1, count);
    }

    [Fact]
    public void HooksOnSubmodulesCaptureAttentionMapsDuringTheParentsForward()
    {
        var encoder = new TransformerEncoder(_ => new TransformerEncoderLayer(8, 2, 16, dropout: 0, generator: new Generator(4)), 2);
        var maps = new List<Tensor>();
        foreach (TransformerEncoderLayer layer in encoder.Layers)
        {
            layer.SelfAttn.RegisterForwardPreHook((_, input) => input with { NeedWeights = true, AverageWeights = false });
            layer.SelfAttn.RegisterForwardHook((_, _, output) => maps.Add(output.Weights!));
        }
        Tensor x = Tensor.Randn([3, 5, 8], new Generator(5));
        Tensor padding = Tensor.FromArray(Enumerable.Range(0, 15).Select(i => i % 5 < 4).ToArray(), 3, 5);
        encoder.Forward(x, keyPaddingMask: padding);
        Assert.Equal(2, maps.Count);
        Assert.All(maps, m => Assert.Equal([3, 2, 5, 5], m.Shape));
        Assert.All(maps[0].Select(-1, 4).ToArray<float>(), w => Assert.Equal(0f, w));
    }

    [Fact]
    public void LossModulesAcceptHooksOnTheirPair()
    {
        var loss = new MseLoss();
        loss.RegisterForwardPreHook((_, pair) => (pair.Input, pair.Input));
        Assert.Equal(0f, loss.Forward(Tensor.Ones(3), Tensor.Zeros(3)).Item());
    }
}

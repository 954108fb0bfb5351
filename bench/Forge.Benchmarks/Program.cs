using BenchmarkDotNet.Running;
using Forge.Benchmarks;

return args.FirstOrDefault() switch
{
    "gpt-step" => GptStepBenchmark.Run(args[1..]),
    "gemm" => GemmShapesBenchmark.Run(args[1..]),
    _ => RunBenchmarkDotNet(args),
};

static int RunBenchmarkDotNet(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    return 0;
}

using System.Diagnostics;
using Forge.Backends;
using Forge.Generation;
using Forge.Models.Gpt2;
using Forge.Tensors;

namespace Forge.Benchmarking;

/// <summary>What <see cref="GenerationBenchmark.Run"/> measured.</summary>
/// <param name="Tokens">Tokens generated.</param>
/// <param name="Seconds">Wall time of the whole generation.</param>
/// <param name="FirstTokenMs">Wall time until the first token was chosen.</param>
/// <param name="CpuSeconds">Processor time of the generation, summed over threads.</param>
/// <param name="AllocatedBytes">Managed bytes allocated during generation (with the cache's buffers, sized for the tokens asked).</param>
/// <param name="PeakResidentMiB">Peak resident memory of the process.</param>
/// <param name="Kernels">With profiling, the calls and seconds of each kernel and operand shapes, slowest first; otherwise empty.</param>
/// <param name="AllocatedBytesPerToken">Managed bytes allocated per token from the third token on (the steady state), or NaN for fewer than four tokens.</param>
public sealed record GenerationResult(int Tokens, double Seconds, double FirstTokenMs, double CpuSeconds, long AllocatedBytes, double PeakResidentMiB,
    IReadOnlyList<(string Kernel, long Calls, double Seconds)> Kernels, double AllocatedBytesPerToken)
{
    /// <summary>Generated tokens per second of wall time.</summary>
    public double TokensPerSecond => Tokens / Seconds;

    /// <summary>Milliseconds per token.</summary>
    public double MsPerToken => Seconds * 1000 / Tokens;
}

/// <summary>
/// Times greedy fp32 decoding with the key-value cache (<see cref="TextGeneration.Generate"/>) from a one-token prompt, on a
/// randomly initialized GPT-2 (seed 1), without an end-of-sequence token so every run produces the asked number of tokens.
/// </summary>
public static class GenerationBenchmark
{
    /// <summary>
    /// Generates <paramref name="tokens"/> tokens once untimed (warm-up of 8 tokens) and once timed; with
    /// <paramref name="profile"/> the timed run goes through a <see cref="TimingBackend"/> keyed by shape (which slows it a little).
    /// With <paramref name="useStepGraph"/> (the default of <see cref="GenerationConfig.UseStepGraph"/>) tokens after the first
    /// replay a captured step over a cache of fixed shapes; otherwise every step runs eagerly.
    /// </summary>
    public static GenerationResult Run(Gpt2Config config, int tokens, bool profile = false, bool useStepGraph = true)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (tokens < 1 || tokens >= config.NPositions)
            throw new ForgeException($"tokens must be between 1 and {config.NPositions - 1} (the model's context less the prompt), found {tokens}.");
        var model = new Gpt2LanguageModel(config, seed: 1);
        model.Eval();
        int[] prompt = [config.BosTokenId < config.VocabSize ? config.BosTokenId : 0];
        TextGeneration.Generate(model, prompt, new GenerationConfig { Strategy = DecodingStrategy.Greedy, MaxNewTokens = Math.Min(8, tokens), UseStepGraph = useStepGraph });
        var timed = new GenerationConfig { Strategy = DecodingStrategy.Greedy, MaxNewTokens = tokens, UseStepGraph = useStepGraph };
        ProcessStats before = default;
        long start = 0, allocatedAtThird = 0, allocatedAtLast = 0;
        double firstTokenMs = 0;
        int count = 0;
        void Generate()
        {
            before = ProcessStats.Now();
            start = Stopwatch.GetTimestamp();
            TextGeneration.Generate(model, prompt, timed, _ =>
            {
                if (count++ == 0) firstTokenMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (count == 3) allocatedAtThird = GC.GetTotalAllocatedBytes(precise: true);
                if (count == tokens) allocatedAtLast = GC.GetTotalAllocatedBytes(precise: true);
                return true;
            });
        }
        IReadOnlyList<(string Kernel, long Calls, double Seconds)> kernels = [];
        if (profile) kernels = TimingBackend.Measure(Generate, keyByShape: true);
        else Generate();
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        ProcessStats after = ProcessStats.Now();
        return new GenerationResult(count, seconds, firstTokenMs, (after.ProcessorTime - before.ProcessorTime).TotalSeconds,
            after.AllocatedBytes - before.AllocatedBytes, ProcessStats.PeakResidentMiB(), kernels,
            count >= 4 ? (allocatedAtLast - allocatedAtThird) / (double)(count - 3) : double.NaN);
    }
}

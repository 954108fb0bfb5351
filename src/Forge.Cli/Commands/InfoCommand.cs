using System.CommandLine;
using System.Text.Json;

namespace Forge.Cli.Commands;

/// <summary><c>forge info</c>: the Forge version, runtime, CPU threads, SIMD support and kernel provider.</summary>
internal sealed class InfoCommand : CliCommand
{
    private readonly Option<bool> json = new("--json") { Description = "Print the report as JSON." };

    public InfoCommand() : base("info", "Show the Forge version, runtime, CPU threads, SIMD support and kernel provider.") { }

    protected override IEnumerable<Option> Options => [json];

    protected override int Execute(CommandContext context)
    {
        EnvironmentReport report = EnvironmentReport.Collect();
        if (context.Parse.GetValue(json))
        {
            context.Output.WriteLine(JsonSerializer.Serialize(report, CliJson.Output.EnvironmentReport));
            return ForgeCli.Success;
        }
        SimdSupport simd = report.Simd;
        TextWriter o = context.Output;
        o.WriteLine($"Forge        {report.ForgeVersion}");
        o.WriteLine($"Runtime      {report.Runtime}");
        o.WriteLine($"OS           {report.Os} ({report.Architecture})");
        o.WriteLine($"CPUs         {report.ProcessorCount}");
        o.WriteLine($"Threads      {report.Threads} ({report.ThreadsSource})");
        o.WriteLine($"Vectors      Vector512 {YesNo(simd.Vector512)}, Vector256 {YesNo(simd.Vector256)}, Vector128 {YesNo(simd.Vector128)}");
        o.WriteLine($"x86 ISA      AVX-512F {YesNo(simd.Avx512F)}, AVX2 {YesNo(simd.Avx2)}, FMA {YesNo(simd.Fma)}");
        o.WriteLine($"Arm ISA      AdvSIMD {YesNo(simd.AdvSimd)}");
        o.WriteLine($"Kernels      {report.KernelProvider}");
        return ForgeCli.Success;
    }

    private static string YesNo(bool value) => value ? "yes" : "no";
}

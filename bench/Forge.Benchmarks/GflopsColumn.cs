using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Forge.Benchmarks;

/// <summary>Throughput of an n×n×n matrix product (2n³ flops), n read from the benchmark's <c>Size</c> parameter.</summary>
internal sealed class GflopsColumn : IColumn
{
    public string Id => nameof(GflopsColumn);

    public string ColumnName => "GFLOP/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Billions of floating-point operations per second (2·Size³ per product)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (meanNs is not > 0 || benchmarkCase.Parameters["Size"] is not int size) return "-";
        double flops = 2.0 * size * size * size;
        return (flops / meanNs.Value).ToString("F1", CultureInfo.InvariantCulture);
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;
}

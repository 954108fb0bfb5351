using System.Text.Encodings.Web;
using System.Text.Json;

namespace Forge.Cli.Commands;

/// <summary>Shared formatting of the <c>forge bench</c> commands' JSON.</summary>
internal static class BenchReport
{
    /// <summary>Indented, with characters such as '+' left unescaped.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><paramref name="value"/> rounded to <paramref name="digits"/> decimals.</summary>
    public static double Round(double value, int digits) => Math.Round(value, digits, MidpointRounding.AwayFromZero);
}

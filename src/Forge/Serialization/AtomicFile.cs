using System.Security.Cryptography;

namespace Forge.Serialization;

/// <summary>Writes files so that a reader (or a crash) sees either the old content or the complete new content, never a mix.</summary>
internal static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/> into a temporary file in the same directory, flushes it to disk,
    /// then renames it over <paramref name="path"/>. The temporary file is removed if anything fails.
    /// </summary>
    public static void Write(string path, Action<FileStream> write)
    {
        string full = System.IO.Path.GetFullPath(path);
        string directory = System.IO.Path.GetDirectoryName(full)!;
        string temporary = full + ".tmp-" + RandomSuffix();
        try
        {
            Directory.CreateDirectory(directory);
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw new ForgeException($"Cannot write '{full}': {e.Message}", e);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>A short random hex string for temporary names.</summary>
    public static string RandomSuffix() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The original error matters more than a leftover temporary file.
        }
    }
}

using System.IO.MemoryMappedFiles;

namespace Forge.Serialization;

/// <summary>
/// A memory-mapped file and the pointer to its first byte. It is the owner of every storage that wraps the mapping,
/// so the mapping lives exactly as long as someone can read it:
/// <list type="bullet">
/// <item>if no tensor ever wrapped it, <see cref="ReleaseFromFile"/> (called when the <see cref="SafeTensorsFile"/> is disposed) unmaps it at once;</item>
/// <item>otherwise the wrapping storages keep this object reachable, and the finalizer unmaps it after the last of them
/// (and the file object) became unreachable.</item>
/// </list>
/// The pointer is acquired with <c>AcquirePointer</c>, which holds a reference on the view's safe handle, so the handle's own
/// critical finalizer (which runs after this ordinary one) cannot unmap the memory first.
/// </summary>
internal sealed unsafe class MappedRegion
{
    private readonly MemoryMappedFile file;
    private readonly MemoryMappedViewAccessor view;
    private int shared;
    private int released;

    private MappedRegion(MemoryMappedFile file, MemoryMappedViewAccessor view, byte* pointer, long length)
    {
        this.file = file;
        this.view = view;
        Pointer = pointer;
        Length = length;
    }

    /// <summary>Finalizer: unmaps the file once neither the file object nor any tensor can reach this region.</summary>
    ~MappedRegion() => Release(disposing: false);

    /// <summary>Address of the first byte of the file.</summary>
    public byte* Pointer { get; }

    /// <summary>Length of the file in bytes.</summary>
    public long Length { get; }

    /// <summary>True once the mapping has been unmapped.</summary>
    public bool IsReleased => Volatile.Read(ref released) != 0;

    /// <summary>
    /// Maps <paramref name="stream"/> (opened for reading) copy-on-write: the file is never written, and a caller that writes to a
    /// mapped tensor only changes its own private copy of the touched pages instead of faulting.
    /// </summary>
    public static MappedRegion Map(FileStream stream, long length)
    {
        MemoryMappedFile file = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.CopyOnWrite, HandleInheritability.None, leaveOpen: false);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.CopyOnWrite);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            return new MappedRegion(file, view, pointer + view.PointerOffset, length);
        }
        catch
        {
            view?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>Records that a tensor now wraps the mapping, so only the garbage collector may decide when it is unused.</summary>
    public void MarkShared() => Volatile.Write(ref shared, 1);

    /// <summary>Called when the file object is disposed: unmaps now unless a tensor wraps the mapping.</summary>
    public void ReleaseFromFile()
    {
        if (Volatile.Read(ref shared) != 0) return;
        Release(disposing: true);
    }

    private void Release(bool disposing)
    {
        if (Interlocked.Exchange(ref released, 1) != 0) return;
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        if (!disposing) return;
        view.Dispose();
        file.Dispose();
    }
}

using System.Buffers;
using System.Security.Cryptography;

namespace Workers.Serialization;

/// <summary>A buffer writer that hashes what is written into it through one small reused buffer, so that the hash of a large
/// serialised value (a turn with a 25 MiB transcript) is taken without the serialised text ever existing whole.</summary>
internal sealed class HashingBufferWriter(HashAlgorithmName algorithm) : IBufferWriter<byte>, IDisposable
{
    private const int ChunkBytes = 64 * 1024;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(algorithm);
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);

    public void Advance(int count) => _hash.AppendData(_buffer, 0, count);

    public Memory<byte> GetMemory(int sizeHint = 0) => Reserve(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => Reserve(sizeHint).Span;

    public byte[] GetHashAndReset() => _hash.GetHashAndReset();

    public void Dispose()
    {
        _hash.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
    }

    private Memory<byte> Reserve(int sizeHint)
    {
        // Each span handed out is hashed at Advance before the next is asked for (IBufferWriter's contract), so one buffer
        // serves every write; it grows only for a single write larger than it.
        if (sizeHint > _buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(sizeHint);
        }

        return _buffer;
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Tuning of the C allocator for a long-running worker process.
///
/// With glibc's default trim threshold (128 KiB, adjusted at run time), a worker that frees the buffers of each
/// batch hands the memory back to the kernel with `madvise(MADV_DONTNEED)` almost every batch, only to fault it
/// in again for the next: about 16,000 `madvise` calls per 20,000 tasks drained from SQLite, each one a TLB
/// shoot-down on the other cores (see `docs/message-decoding.md`). A worker keeps a steady working set, so the
/// worker commands raise the threshold once at start; memory above it is still returned.
public enum MallocTuning {
    /// The trim threshold worker processes use: 64 MiB.
    public static let workerTrimThreshold = 64 << 20

    /// Raises glibc's heap trim threshold to `bytes`, unless the environment already sets one
    /// (`GLIBC_TUNABLES=glibc.malloc.trim_threshold=...` or `MALLOC_TRIM_THRESHOLD_`), which then wins.
    ///
    /// - Returns: whether the threshold was set (always `false` where the C library is not glibc).
    @discardableResult
    public static func keepFreedMemory(upTo bytes: Int = workerTrimThreshold, environment: [String: String]) -> Bool {
        if environment["MALLOC_TRIM_THRESHOLD_"] != nil { return false }
        if let tunables = environment["GLIBC_TUNABLES"], tunables.contains("trim_threshold") { return false }
        #if canImport(Glibc)
        // <malloc.h> is not part of Swift's Glibc module: look mallopt up instead.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        return mallopt(trimThresholdParameter, Int32(clamping: bytes)) == 1
        #else
        return false
        #endif
    }

    /// glibc's `M_TRIM_THRESHOLD` parameter number, from `<malloc.h>`.
    static let trimThresholdParameter: Int32 = -1
}

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension CeleryEvent {
    /// Celery's heartbeat frequency in seconds: Flower counts a worker online while `now < last heartbeat +
    /// 2 × freq`.
    public static let heartbeatFrequency = 2.0

    /// The software identity Celeriac workers report (`sw_ident`); Python workers say `py-celery`.
    public static let softwareIdentity = "celeriac"

    /// Celeriac's version, reported as `sw_ver`.
    public static let softwareVersion = "0.3.0"

    /// `worker-online`, `worker-heartbeat` or `worker-offline` with the fields Flower reads
    /// (`worker/heartbeat.py:Heart._send`): `freq`, `active`, `processed`, `loadavg`, `sw_ident`, `sw_ver`, `sw_sys`.
    /// - Parameters:
    ///   - kind: `online`, `heartbeat` or `offline`.
    ///   - active: tasks running now.
    ///   - processed: tasks finished since the worker started.
    ///   - frequency: seconds between heartbeats.
    public static func worker(_ kind: String, active: Int, processed: Int, frequency: Double = heartbeatFrequency) -> CeleryEvent {
        CeleryEvent(type: "worker-\(kind)", [
            "freq": .double(frequency), "active": .int(active), "processed": .int(processed),
            "loadavg": .array(loadAverage().map(JSONValue.double)),
            "sw_ident": .string(softwareIdentity), "sw_ver": .string(softwareVersion), "sw_sys": .string(systemName),
        ])
    }

    /// The 1, 5 and 15 minute load averages, rounded to two places as Celery does.
    static func loadAverage() -> [Double] {
        var loads = [Double](repeating: 0, count: 3)
        let count = loads.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            return getloadavg(base, 3)
        }
        guard count == 3 else { return [0, 0, 0] }
        return loads.map { ($0 * 100).rounded() / 100 }
    }

    /// `platform.system()`: `Linux`, `Darwin`.
    static var systemName: String {
        #if os(Linux)
        "Linux"
        #elseif os(macOS)
        "Darwin"
        #else
        "Unknown"
        #endif
    }
}

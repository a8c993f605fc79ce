/// Celery's `broker_transport_options`: the settings Celeriac reads itself, plus every other key as written.
///
/// ```swift
/// var options = BrokerTransportOptions()
/// options.visibilityTimeout = 600        // seconds before an unacked message is redelivered
/// options.globalKeyprefix = "myapp:"     // kombu's Redis key prefix
/// ```
public struct BrokerTransportOptions: Sendable, Hashable {
    /// Seconds a received but unacknowledged message stays invisible before it is redelivered
    /// (`visibility_timeout`; kombu's Redis default, 3600).
    public var visibilityTimeout: Double
    /// A prefix for every Redis key (`global_keyprefix`), or `nil`.
    public var globalKeyprefix: String?
    /// The Sentinel master's name (`master_name`), for `sentinel://` brokers.
    public var masterName: String?
    /// Every other option, as written (for example `queue_order_strategy`, `sep`, `priority_steps`).
    public var other: JSONObject

    /// Creates options; the defaults are kombu's.
    public init(visibilityTimeout: Double = 3600, globalKeyprefix: String? = nil, masterName: String? = nil, other: JSONObject = [:]) {
        self.visibilityTimeout = visibilityTimeout
        self.globalKeyprefix = globalKeyprefix
        self.masterName = masterName
        self.other = other
    }

    /// Reads options from Celery's JSON form, keeping unknown keys in ``other``.
    ///
    /// - Parameters:
    ///   - object: the `broker_transport_options` object.
    ///   - name: the setting's name for error messages (`CELERY_BROKER_TRANSPORT_OPTIONS`).
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) when a known key has the wrong type.
    public init(json object: JSONObject, name: String = "broker_transport_options") throws(CeleriacError) {
        self.init()
        for (key, value) in object {
            switch key {
            case "visibility_timeout":
                guard let seconds = value.doubleValue, seconds.isFinite else {
                    throw CeleriacError(.invalidConfiguration, "\(name): visibility_timeout must be a number of seconds, got \(ConfigText.render(value))")
                }
                visibilityTimeout = seconds
            case "global_keyprefix":
                guard value.isNull || value.stringValue != nil else {
                    throw CeleriacError(.invalidConfiguration, "\(name): global_keyprefix must be a string, got \(ConfigText.render(value))")
                }
                globalKeyprefix = value.stringValue
            case "master_name":
                guard value.isNull || value.stringValue != nil else {
                    throw CeleriacError(.invalidConfiguration, "\(name): master_name must be a string, got \(ConfigText.render(value))")
                }
                masterName = value.stringValue
            default:
                other[key] = value
            }
        }
    }

    /// The options in Celery's JSON form (known keys first, then ``other``).
    public var json: JSONObject {
        var object: JSONObject = ["visibility_timeout": visibilityTimeout.rounded() == visibilityTimeout && abs(visibilityTimeout) < 1e15
            ? .int(Int(visibilityTimeout)) : .double(visibilityTimeout)]
        if let globalKeyprefix { object["global_keyprefix"] = .string(globalKeyprefix) }
        if let masterName { object["master_name"] = .string(masterName) }
        for (key, value) in other { object[key] = value }
        return object
    }
}

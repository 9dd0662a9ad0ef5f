import FleetIngest

extension MQTTPublisher {
    /// The simulator's publisher: plain MQTT to `url`, anonymous.
    public convenience init(url: MQTTURL, clientID: String, qos: Int, maxInflight: Int = 1000, connectTimeout: Double = 5) throws(MQTTError) {
        try self.init(settings: MQTTSettings(host: url.host, port: Int(url.port), clientID: clientID),
                      qos: qos, maxInflight: maxInflight, connectTimeout: connectTimeout)
    }
}

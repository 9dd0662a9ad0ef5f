import CMosquitto

extension MQTTSettings {
    /// Sets up a new libmosquitto client as these settings say: MQTT v5, credentials and TLS. Shared by
    /// fleetd's subscriber and its event publisher, which connect to the same broker as the same user.
    func configure(_ m: OpaquePointer) -> String? {
        mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5)
        if let user = username {
            mosquitto_username_pw_set(m, user, password)
        }
        guard tls else { return nil }
        let rc: Int32
        if caFile == nil {
            mosquitto_int_option(m, MOSQ_OPT_TLS_USE_OS_CERTS, 1)
            rc = certFile == nil ? MOSQ_ERR_SUCCESS.rawValue : mosquitto_tls_set(m, nil, nil, certFile, keyFile, nil)
        } else {
            rc = mosquitto_tls_set(m, caFile, nil, certFile, keyFile, nil)
        }
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            return "MQTT TLS setup failed: \(String(cString: mosquitto_strerror(rc))); check --mqtt-ca-file, --mqtt-cert-file and --mqtt-key-file"
        }
        return nil
    }
}

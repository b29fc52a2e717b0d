/// The built-in workloads: a recorder with the client for each supported store.
extension WorkloadRecorder {
    /// etcd v3 through its JSON gateway; `nodes` are the members' client URLs.
    public static func etcd(_ configuration: WorkloadConfiguration) throws(InvalidConfiguration) -> WorkloadRecorder {
        try WorkloadRecorder(configuration) { node, configuration in
            EtcdRegisterClient(endpoint: node, connectTimeout: configuration.connectTimeout)
        }
    }

    /// Redis over RESP.
    public static func redis(_ configuration: WorkloadConfiguration) throws(InvalidConfiguration) -> WorkloadRecorder {
        try WorkloadRecorder(configuration) { node, configuration in
            RedisRegisterClient(endpoint: node, connectTimeout: configuration.connectTimeout)
        }
    }

    /// A generic HTTP key-value service (see `HTTPKeyValueRegisterClient.API`).
    public static func httpKeyValue(_ configuration: WorkloadConfiguration,
                                    api: HTTPKeyValueRegisterClient.API = .init()) throws(InvalidConfiguration) -> WorkloadRecorder {
        try WorkloadRecorder(configuration) { node, configuration in
            HTTPKeyValueRegisterClient(endpoint: node, api: api, connectTimeout: configuration.connectTimeout)
        }
    }
}

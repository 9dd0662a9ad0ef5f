import Foundation
import ServiceLifecycle

/// Runs the MQTT source and the pipeline until graceful shutdown, then stops intake first and
/// lets the pipeline commit what is spooled.
struct IngestService: Service {
    let source: MQTTSource
    let pipeline: Pipeline

    func run() async throws {
        pipeline.start()
        source.start()
        try? await gracefulShutdown()
        source.stop()
        pipeline.stop()
        let pipeline = self.pipeline
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread { pipeline.waitUntilFinished(); done.resume() }.start()
        }
    }
}

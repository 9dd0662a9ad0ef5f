import Foundation
import ServiceLifecycle

/// Runs the MQTT source and the pipeline until graceful shutdown, then stops intake first, lets the
/// pipeline commit what is spooled, and only then lets the source go (see `MQTTSource.finish`).
struct IngestService: Service {
    let source: MQTTSource
    let pipeline: Pipeline

    func run() async throws {
        pipeline.start()
        source.start()
        try? await gracefulShutdown()
        source.stopIntake()
        pipeline.stop()
        let pipeline = self.pipeline
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread { pipeline.waitUntilFinished(); done.resume() }.start()
        }
        source.finish()
    }
}

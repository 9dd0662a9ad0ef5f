import Foundation
import ServiceLifecycle

/// Runs the MQTT source, the pipeline and the event publisher until graceful shutdown, then stops
/// intake first, lets the pipeline commit what is spooled, and only then lets the source go (see
/// `MQTTSource.finish`) and the publisher send what the last commits added.
struct IngestService: Service {
    let source: MQTTSource
    let pipeline: Pipeline
    let publisher: EventPublisher?
    let reconciler: PurchaseReconciler?

    func run() async throws {
        pipeline.start()
        source.start()
        publisher?.start()
        reconciler?.start()
        try? await gracefulShutdown()
        source.stopIntake()
        pipeline.stop()
        let pipeline = self.pipeline
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread { pipeline.waitUntilFinished(); done.resume() }.start()
        }
        source.finish()
        if let reconciler {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                Thread { reconciler.stop(); done.resume() }.start()
            }
        }
        if let publisher {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                Thread { publisher.stop(); done.resume() }.start()
            }
        }
    }
}

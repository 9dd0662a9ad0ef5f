import Foundation
import ServiceLifecycle

/// Runs the MQTT source, the pipeline, shared detection and the event publisher until graceful
/// shutdown, then stops intake first, lets the pipeline commit what is spooled, and only then lets
/// the source go (see `MQTTSource.finish`), shared detection write its last checkpoint, and the
/// publisher send what the last commits added. A detect-only instance has no source or pipeline.
struct IngestService: Service {
    let source: MQTTSource?
    let pipeline: Pipeline?
    let shared: SharedDetection?
    let publisher: EventPublisher?
    let reconciler: PurchaseReconciler?

    func run() async throws {
        pipeline?.start()
        source?.start()
        shared?.start()
        publisher?.start()
        reconciler?.start()
        try? await gracefulShutdown()
        source?.stopIntake()
        if let pipeline {
            pipeline.stop()
            await Self.blocking { pipeline.waitUntilFinished() }
        }
        source?.finish()
        if let shared { await Self.blocking { shared.stop() } }
        if let reconciler { await Self.blocking { reconciler.stop() } }
        if let publisher { await Self.blocking { publisher.stop() } }
    }

    /// Waits for a blocking call on a thread of its own.
    private static func blocking(_ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread { body(); done.resume() }.start()
        }
    }
}

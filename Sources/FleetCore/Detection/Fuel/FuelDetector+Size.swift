extension FuelDetector {
    /// Rough in-memory size of the state, for sizing what the pipeline persists per vehicle: the
    /// fixed fields plus the ring buffers' contents (16 bytes a reading), independent of history.
    public var approximateBytes: Int {
        let rings = (steps.stop?.still.count ?? 0) + steps.trip.count + (steps.stop?.excursion?.post.count ?? 0)
        return MemoryLayout<FuelDetector>.size + MemoryLayout<LevelStepTracker.Excursion>.size + rings * 16
            + vehicleID.utf8.count
    }
}

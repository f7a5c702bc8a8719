/// The cost of one fused group of nodes (one "kernel" on the chip).
public struct OpReport: Codable, Sendable {
    /// Names of the graph nodes in the group, anchor first.
    public var name: String
    /// Operator types in the group, joined with `+` (e.g. `Conv+Add`).
    public var op: String
    /// Start and duration in seconds within the graph's timeline.
    public var start: Double, seconds: Double
    /// Duration in chip cycles.
    public var cycles: Double
    /// Matrix FLOPs.
    public var flops: Double
    /// HBM bytes read and written.
    public var hbmBytes: Double
    /// FLOPs per HBM byte.
    public var arithmeticIntensity: Double
    /// `compute`, `bandwidth` or `vector`: which engine's busy time bounds the group.
    public var bound: String
    /// Matrix FLOPs over (seconds x peak) for the element type.
    public var matrixUnitUtilization: Double
    /// Largest VMEM footprint of the group's blocks.
    public var vmemHighWater: Int
    /// Grid steps executed.
    public var gridSteps: Int
    /// Seconds each engine was busy, by `EngineEvent.Engine.key`, summed over TensorCores (so on a
    /// two-core chip the matrix units can be busy for twice the kernel's duration).
    public var busySeconds: [String: Double] = [:]

    enum CodingKeys: String, CodingKey {
        case name, op, start, seconds, cycles, flops, bound, gridSteps = "grid_steps", busySeconds = "busy_seconds"
        case hbmBytes = "hbm_bytes", arithmeticIntensity = "arithmetic_intensity"
        case matrixUnitUtilization = "matrix_unit_utilization", vmemHighWater = "vmem_high_water"
    }
}

/// The cost of a whole graph.
public struct GraphReport: Codable, Sendable {
    /// Chip name.
    public var chip: String
    /// Element type simulated.
    public var dtype: String
    /// Total seconds.
    public var seconds: Double
    /// Total cycles.
    public var cycles: Double
    /// Matrix FLOPs.
    public var flops: Double
    /// HBM bytes.
    public var hbmBytes: Double
    /// Matrix FLOPs over (seconds x peak).
    public var matrixUnitUtilization: Double
    /// Largest VMEM footprint of any group.
    public var vmemHighWater: Int
    /// One entry per fused group.
    public var ops: [OpReport]
    /// Engine busy intervals, for the Chrome trace.
    public var events: [EngineEvent]
    /// The fixed cost of launching the program, included in `seconds`.
    public var launchSeconds: Double = 0
    /// Seconds each engine was busy over the whole graph (the sum of the kernels' `busySeconds`).
    public var busySeconds: [String: Double] {
        ops.reduce(into: [:]) { total, op in for (k, v) in op.busySeconds { total[k, default: 0] += v } }
    }

    enum CodingKeys: String, CodingKey {
        case chip, dtype, seconds, cycles, flops, ops, launchSeconds = "launch_seconds", busySeconds = "busy_seconds"
        case hbmBytes = "hbm_bytes", matrixUnitUtilization = "matrix_unit_utilization", vmemHighWater = "vmem_high_water"
    }

    /// Encodes without the engine events (they go to the trace).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(chip, forKey: .chip); try c.encode(dtype, forKey: .dtype); try c.encode(seconds, forKey: .seconds)
        try c.encode(cycles, forKey: .cycles); try c.encode(flops, forKey: .flops); try c.encode(hbmBytes, forKey: .hbmBytes)
        try c.encode(matrixUnitUtilization, forKey: .matrixUnitUtilization); try c.encode(vmemHighWater, forKey: .vmemHighWater)
        try c.encode(launchSeconds, forKey: .launchSeconds); try c.encode(busySeconds, forKey: .busySeconds)
        try c.encode(ops, forKey: .ops)
    }

    /// Decodes a report written by `encode` (no events).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        chip = try c.decode(String.self, forKey: .chip); dtype = try c.decode(String.self, forKey: .dtype)
        seconds = try c.decode(Double.self, forKey: .seconds); cycles = try c.decode(Double.self, forKey: .cycles)
        flops = try c.decode(Double.self, forKey: .flops); hbmBytes = try c.decode(Double.self, forKey: .hbmBytes)
        matrixUnitUtilization = try c.decode(Double.self, forKey: .matrixUnitUtilization)
        vmemHighWater = try c.decode(Int.self, forKey: .vmemHighWater); ops = try c.decode([OpReport].self, forKey: .ops)
        launchSeconds = try c.decodeIfPresent(Double.self, forKey: .launchSeconds) ?? 0
        events = []
    }

    init(chip: String, dtype: String, seconds: Double, cycles: Double, flops: Double, hbmBytes: Double,
         matrixUnitUtilization: Double, vmemHighWater: Int, ops: [OpReport], events: [EngineEvent], launchSeconds: Double = 0) {
        self.launchSeconds = launchSeconds
        (self.chip, self.dtype, self.seconds, self.cycles, self.flops, self.hbmBytes) = (chip, dtype, seconds, cycles, flops, hbmBytes)
        (self.matrixUnitUtilization, self.vmemHighWater, self.ops, self.events) = (matrixUnitUtilization, vmemHighWater, ops, events)
    }
}

/// One busy interval of one engine.
public struct EngineEvent: Sendable {
    /// The engine.
    public enum Engine: Int, Sendable, CaseIterable {
        case dmaIn = 1, matrixUnits = 2, vectorUnit = 3, dmaOut = 4, ici = 5
        /// Track name in the trace.
        public var label: String {
            switch self {
            case .dmaIn: return "DMA in (HBM->VMEM)"
            case .matrixUnits: return "matrix units"
            case .vectorUnit: return "vector unit"
            case .dmaOut: return "DMA out (VMEM->HBM)"
            case .ici: return "ICI collectives"
            }
        }
        /// Key in `busy_seconds`.
        public var key: String {
            switch self {
            case .dmaIn: return "dma_in"
            case .matrixUnits: return "matrix_units"
            case .vectorUnit: return "vector_unit"
            case .dmaOut: return "dma_out"
            case .ici: return "ici"
            }
        }
    }
    /// Which engine.
    public var engine: Engine
    /// The group it belongs to.
    public var group: String
    /// Start and end, seconds.
    public var start: Double, end: Double
    /// Seconds of the slice the engine was actually busy (short gaps between grid steps are drawn as one
    /// slice).
    public var busy: Double
}

/// The outcome of running one kernel case, in the JSON shape of docs/KERNEL_CASES.md.
public struct CaseResult: Codable, Sendable {
    /// `pass`, `fail` (ran, wrong answer), `error` (bad file, or the op threw), `unsupported`.
    public enum Status: String, Codable, Sendable { case pass, fail, error, unsupported }

    /// The case file.
    public var file: String
    /// Operator type ("" when the file could not be read).
    public var op: String
    /// The outcome.
    public var status: Status
    /// Largest absolute error over the checked outputs.
    public var maxAbsErr: Double
    /// Largest relative error over the checked outputs.
    public var maxRelErr: Double
    /// What went wrong, or which output/attribute is unsupported.
    public var message: String
    /// Matrix-unit floating-point operations of the call by the operator's schema (2 x M x N x K per
    /// GEMM); nil for operators without matrix work or cases that did not run.
    public var flops: Double?

    /// A result.
    public init(file: String, op: String, status: Status, maxAbsErr: Double, maxRelErr: Double, message: String) {
        (self.file, self.op, self.status, self.maxAbsErr, self.maxRelErr, self.message) = (file, op, status, maxAbsErr, maxRelErr, message)
    }

    enum CodingKeys: String, CodingKey {
        case file, op, status, message, flops
        case maxAbsErr = "max_abs_err"
        case maxRelErr = "max_rel_err"
    }
}

/// All results of one run, in the JSON shape of docs/KERNEL_CASES.md.
public struct ConformanceReport: Codable, Sendable {
    /// The backend's name.
    public var backend: String
    /// Number of cases.
    public var cases: Int
    /// Counts by status.
    public var passed: Int, failed: Int, errors: Int, unsupported: Int
    /// One entry per case.
    public var results: [CaseResult]

    /// Tallies results.
    public init(backend: String, results: [CaseResult]) {
        self.backend = backend
        self.results = results
        cases = results.count
        passed = results.filter { $0.status == .pass }.count
        failed = results.filter { $0.status == .fail }.count
        errors = results.filter { $0.status == .error }.count
        unsupported = results.filter { $0.status == .unsupported }.count
    }

    /// True when no case failed or errored.
    public var succeeded: Bool { failed == 0 && errors == 0 }
}

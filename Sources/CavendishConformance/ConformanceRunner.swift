import CavendishCore
import CavendishOps
import Foundation

/// Runs kernel cases on a backend and judges them.
public struct ConformanceRunner: Sendable {
    /// The backend under test.
    public let backend: any KernelBackend

    /// A runner for `backend`.
    public init(backend: any KernelBackend) { self.backend = backend }

    /// Runs one loaded case.
    public func run(_ kernelCase: KernelCase) -> CaseResult {
        var result = CaseResult(file: kernelCase.source, op: kernelCase.call.op, status: .pass, maxAbsErr: 0, maxRelErr: 0, message: "")
        var call = kernelCase.call
        call.outputCount = kernelCase.expected.count
        // The backend says what it does not run before it is asked to.
        if let reason = backend.unsupportedReason(for: call) {
            result.status = .unsupported; result.message = reason; return result
        }
        // The schema checks the call and bounds its outputs before any kernel does arithmetic on the
        // case's attributes and data or allocates: a hostile case is an error here, not a trap later.
        do {
            _ = try call.inferredOutputs()
        } catch {
            result.status = .error; result.message = "invalid case: \(error)"; return result
        }
        let outputs: [Tensor]
        do {
            outputs = try backend.run(call)
        } catch KernelError.unsupported(let m) {
            result.status = .unsupported; result.message = m; return result
        } catch {
            result.status = .error; result.message = "\(error)"; return result
        }
        for (i, expected) in kernelCase.expected.enumerated() {
            guard let expected else { continue }
            guard i < outputs.count else {
                result.status = .fail; result.message = "output \(i) missing (\(outputs.count) produced)"; return result
            }
            let c = OutputComparison(actual: outputs[i], expected: expected, rtol: kernelCase.rtol, atol: kernelCase.atol)
            result.maxAbsErr = max(result.maxAbsErr, c.maxAbsoluteError)
            result.maxRelErr = max(result.maxRelErr, c.maxRelativeError)
            if !c.passed, result.status == .pass {
                result.status = .fail
                result.message = "output \(i): \(c.message)"
            }
        }
        checkSchema(kernelCase, call, &result)
        return result
    }

    /// The operator's schema must predict every expected output's shape and type from the inputs (all
    /// known, as constants), and its cost is recorded: matrix-unit FLOPs where the operator has a formula.
    func checkSchema(_ kernelCase: KernelCase, _ call: KernelInvocation, _ result: inout CaseResult) {
        let inferred: [TensorInfo]
        do {
            let schema = try OperatorSchemas.schema(named: call.op)
            inferred = try call.inferredOutputs()
            let cost = try schema.cost(call.inputInfos, inferred, call.attributes, opset: call.opset)
            if cost.flops > 0 { result.flops = cost.flops }
        } catch {
            if result.status == .pass { result.status = .fail; result.message = "shape inference: \(error)" }
            return
        }
        for (i, expected) in kernelCase.expected.enumerated() {
            guard let expected, result.status == .pass else { continue }
            guard i < inferred.count else {
                result.status = .fail; result.message = "shape inference: output \(i) missing (\(inferred.count) inferred)"; return
            }
            if inferred[i].shape != expected.shape || inferred[i].dtype != expected.dtype {
                result.status = .fail
                result.message = "shape inference: output \(i) is \(inferred[i].shape) \(inferred[i].dtype), expected \(expected.shape) \(expected.dtype)"
            }
        }
    }

    /// Loads and runs each case file; a file that cannot be read is an `error` result, not a crash.
    public func run(files: [String]) -> ConformanceReport {
        let results = files.map { file -> CaseResult in
            do { return run(try KernelCaseFile.load(file)) }
            catch { return CaseResult(file: file, op: "", status: .error, maxAbsErr: 0, maxRelErr: 0, message: "\(error)") }
        }
        return ConformanceReport(backend: backend.name, results: results)
    }

    /// Expands paths: files as given, folders searched recursively for `*.h5`, sorted.
    public static func caseFiles(in paths: [String]) throws -> [String] {
        var files: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw KernelError.invalid("\(path): no such file or folder")
            }
            if !isDirectory.boolValue { files.append(path); continue }
            guard let walker = fm.enumerator(atPath: path) else { continue }
            var found: [String] = []
            for case let relative as String in walker where relative.hasSuffix(".h5") {
                found.append((path as NSString).appendingPathComponent(relative))
            }
            files += found.sorted()
        }
        return files
    }
}

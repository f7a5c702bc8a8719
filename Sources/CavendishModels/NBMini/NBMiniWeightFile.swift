import CavendishCore
import CavendishIO
import Foundation

/// One exported NB-mini component (`Weights/nb-mini-*.h5`): tensors named by the PyTorch state-dict
/// keys, and root attributes with the component name, its config as JSON and the training steps.
public struct NBMiniWeightFile: Sendable {
    /// The file.
    public let path: String
    /// `vae`, `dit-v1`, `dit-v2`, `reference-encoder`.
    public let component: String
    /// The config attribute, JSON.
    public let configJSON: String
    /// Optimizer steps the weights were trained for.
    public let trainingSteps: Int
    /// Every tensor by name, as stored (float16 weights stay float16 until a graph loads them).
    public let tensors: [String: Tensor]

    /// Reads a weight file; with `loadingTensors: false` only its attributes (the config is all a graph's
    /// shapes need, as `simulate model` does), and `tensors` is empty.
    public init(path: String, loadingTensors: Bool = true) throws {
        let file = try HDF5File(readingFrom: path)
        defer { file.close() }
        self.path = path
        component = try file.attribute("component")?.stringValue ?? ""
        configJSON = try file.attribute("config")?.stringValue ?? "{}"
        trainingSteps = Int(try file.attribute("training_steps")?.integerValue ?? 0)
        var tensors: [String: Tensor] = [:]
        for member in try file.members() where loadingTensors && member.kind == .dataset {
            tensors[member.name] = try file.tensor(at: member.name)
        }
        self.tensors = tensors
    }

    /// The config decoded as `T`, and checked when `T` can check itself (`ValidatedConfig`).
    public func config<T: Decodable>(_ type: T.Type) throws -> T {
        let value: T
        do { value = try JSONDecoder().decode(T.self, from: Data(configJSON.utf8)) }
        catch { throw IOError(path: path, "config attribute is not a \(T.self): \(error)") }
        if let checked = value as? ValidatedConfig {
            do { try checked.validate() } catch { throw IOError(path: path, "\(error)") }
        }
        return value
    }
}

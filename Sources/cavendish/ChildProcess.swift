import Foundation

/// This binary run again as a child process (sweep workers, isolated kernel cases, the weights probe).
enum ChildProcess {
    /// The running executable, links resolved.
    static var executable: URL { URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath() }

    /// A child running `arguments`, with this process's environment plus `environment`. Not started.
    static func make(_ arguments: [String], environment extra: [String: String] = [:]) -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        return process
    }

    /// The environment of a child whose crash is an expected outcome: Swift's backtracer would take
    /// seconds per crash and bury the child's last words.
    static let crashQuiet = ["SWIFT_BACKTRACE": "enable=no"]
}

import Foundation

/// This binary run again as a child process (sweep workers, isolated kernel cases, the weights probe).
enum ChildProcess {
    /// The running executable, links resolved. `/proc/self/exe` where there is one: `argv[0]` is only
    /// `cavendish` when the shell found the binary on the PATH, which named a file in the current folder.
    static var executable: URL {
        if FileManager.default.fileExists(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        }
        let name = CommandLine.arguments[0]
        if !name.contains("/"), let found = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .map({ "\($0)/\(name)" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return URL(fileURLWithPath: found).resolvingSymlinksInPath()
        }
        return URL(fileURLWithPath: name).resolvingSymlinksInPath()
    }

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

extension ChildProcess {
    /// Called by a child at its start: ends it when its parent goes away. A child stuck inside a library
    /// (libhdf5 looping on a damaged file) cannot notice by itself, and one whose parent was killed
    /// kept a core busy for an hour; a watcher thread checks the parent every second.
    static func exitWithParent() {
        let parent = getppid()
        let watcher = Thread {
            while true {
                sleep(1)
                if getppid() != parent { _exit(3) }
            }
        }
        watcher.start()
    }
}

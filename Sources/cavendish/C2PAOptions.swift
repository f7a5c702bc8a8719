import ArgumentParser
import CavendishPipeline
import Foundation

/// The signing credentials `generate`, `serve` and `sweep` share: with both, every PNG they write
/// carries a C2PA manifest signed with them.
struct C2PAOptions: ParsableArguments {
    @Option(help: ArgumentHelp("ECDSA P-256 private key (PEM) that signs a C2PA manifest into every PNG (default: $CAVENDISH_C2PA_KEY). Needs --c2pa-cert.", valueName: "KEY.pem"))
    var c2paKey: String?
    @Option(help: ArgumentHelp("The signer's certificate, then any intermediates (PEM; default: $CAVENDISH_C2PA_CERT).", valueName: "CHAIN.pem"))
    var c2paCert: String?

    /// The paths given, or the environment's.
    private var paths: (key: String?, cert: String?) {
        let environment = ProcessInfo.processInfo.environment
        return (c2paKey ?? environment["CAVENDISH_C2PA_KEY"], c2paCert ?? environment["CAVENDISH_C2PA_CERT"])
    }

    /// The loaded credentials, nil when none are given; an error when only one of the two is, or they do not fit.
    func signer() throws -> C2PASigner? {
        switch paths {
        case (nil, nil): return nil
        case (let key?, let cert?):
            do { return try C2PASigner(keyPath: key, chainPath: cert) } catch { throw CommandError("\(error)") }
        case (nil, _): throw CommandError("--c2pa-cert needs --c2pa-key (or $CAVENDISH_C2PA_KEY): the private key that signs")
        case (_, nil): throw CommandError("--c2pa-key needs --c2pa-cert (or $CAVENDISH_C2PA_CERT): the certificate chain that vouches for the key")
        }
    }

    /// The options again, for a child process of the same command.
    var arguments: [String] {
        (c2paKey.map { ["--c2pa-key", $0] } ?? []) + (c2paCert.map { ["--c2pa-cert", $0] } ?? [])
    }
}

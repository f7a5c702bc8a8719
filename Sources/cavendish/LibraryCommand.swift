import ArgumentParser
import CavendishLibrary
import Foundation

/// `cavendish library`: connect a photo library (with consent), index it, choose references, resolve prompts.
struct LibraryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "library",
        abstract: "Use your own photo library (opt-in, read-only) for the people and pets a prompt names.",
        discussion: """
        Nothing is read from a library before you connect it. Everything derived from it (index, thumbnails, cached \
        embeddings) and the consent itself live in the Cavendish data folder ($CAVENDISH_DATA_HOME, else \
        $XDG_DATA_HOME/cavendish, else ~/.local/share/cavendish), never in the library; `disconnect` deletes it all.

          cavendish library connect Weights/demo-library --consent
          cavendish library scan Weights/demo-library
          cavendish library set-me Maya
          cavendish library relate Bean --as pet --species dog
          cavendish library people
          cavendish library resolve --prompt "me and my dog at the beach"
          cavendish library audit
          cavendish library disconnect Weights/demo-library

        connect asks for your agreement unless --consent says you give it; use your own folder \
        (~/Pictures/Takeout) in place of the demo library.
        """,
        subcommands: [Connect.self, Disconnect.self, Scan.self, People.self, Pin.self, Exclude.self, SetMe.self, Relate.self,
                      Forget.self, Resolve.self, Audit.self]
    )

    /// The data folder the environment names.
    static var dataFolder: CavendishDataFolder { .resolve() }

    /// The library at `path`, or the only connected one; consent is checked by `PhotoLibrary`.
    static func open(_ path: String?) throws -> PhotoLibrary {
        if let path { return try PhotoLibrary(path: path, dataFolder: dataFolder) }
        let connected = ConsentRegistry(dataFolder: dataFolder).connectedLibraries().map(\.library)
        guard connected.count == 1 else { throw LibraryError.libraryNotChosen(connected: connected) }
        return try PhotoLibrary(path: connected[0], dataFolder: dataFolder)
    }

    static func printJSON<T: Encodable>(_ value: T) throws {
        try JSONOutput.print(value, pretty: true)
    }

    struct LibraryOption: ParsableArguments {
        @Option(name: .customLong("library"), help: "The library (default: the only connected one).")
        var path: String?
    }

    struct Connect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Agree to let Cavendish read a photo library (recorded in the data folder, not in the library).")
        @Argument(help: "The library folder.") var path: String
        @Flag(help: "Agree without being asked (for scripts).") var consent = false

        func run() throws {
            let location = LibraryLocation(path: path)
            let registry = ConsentRegistry(dataFolder: LibraryCommand.dataFolder)
            var method = "flag"
            if !consent {
                guard isatty(STDIN_FILENO) != 0 else { throw LibraryError.consentNeedsTerminal(library: location.path) }
                let question = """
                Cavendish will read the photos under \(location.path) and their metadata (Google Takeout sidecars, XMP \
                face regions, labels.json), read-only. It keeps an index, thumbnails of the chosen reference crops and their \
                embeddings in \(LibraryCommand.dataFolder.folder(for: location)), and logs which photos it reads in \
                \(LibraryCommand.dataFolder.auditLogPath). Nothing is uploaded, nothing is written in the library, and \
                library photos are never used for training. `cavendish library disconnect` deletes it all.
                Connect this library? [y/N] 
                """
                FileHandle.standardError.write(Data(question.utf8))
                let answer = (readLine() ?? "").trimmingCharacters(in: .whitespaces).lowercased()
                guard answer == "y" || answer == "yes" else { throw LibraryError.consentDeclined(library: location.path) }
                method = "interactive"
            }
            try registry.connect(location, method: method)
            print("connected \(location.path); next: cavendish library scan \(location.path)")
        }
    }

    struct Disconnect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke consent and delete everything derived from a library (index, thumbnails, cached embeddings).")
        @Argument(help: "The library folder (it need not exist any more).") var path: String

        func run() throws {
            let (location, report) = try ConsentRegistry(dataFolder: LibraryCommand.dataFolder).disconnect(path: path)
            if report.wasConnected || report.deletedFiles > 0 {
                print("disconnected \(location.path); deleted \(report.deletedFiles) derived file\(report.deletedFiles == 1 ? "" : "s")")
            } else {
                print("\(location.path) was not connected; nothing to delete")
            }
        }
    }

    struct Scan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Index a connected library: new and changed photos only; removed ones are dropped.",
            discussion: "Photos that cannot be decoded, and metadata files that cannot be read, are reported and skipped.")
        @Argument(help: "The library folder.") var path: String
        @Flag(help: "Print the report as JSON (with photos per second).") var json = false

        struct Output: Encodable {
            let library: String
            let report: ScanReport
            let photosPerSecond: Double
        }

        func run() throws {
            let library = try LibraryCommand.open(path)
            var bar: ProgressBar?
            let report = try library.scan { p in
                if bar == nil { bar = ProgressBar(total: p.total, label: "scan") }
                bar?.update(p.done, detail: p.path)
            }
            bar?.finish()
            if json {
                try LibraryCommand.printJSON(Output(library: library.location.path, report: report, photosPerSecond: report.photosPerSecond))
                return
            }
            print("\(report.photos) photos: \(report.added) new, \(report.changed) changed, \(report.metadataUpdated) with new metadata, "
                  + "\(report.unchanged) unchanged, \(report.removed) removed; \(report.people) people and pets; "
                  + String(format: "%.2f s (%.0f photos/s)", report.seconds, report.photosPerSecond))
            for s in report.skipped { print("skipped \(s.path): \(s.reason)") }
        }
    }

    struct People: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the people and pets in the index with photo counts and their chosen reference photos.")
        @OptionGroup var library: LibraryOption
        @Flag(help: "Print JSON.") var json = false

        struct Entry: Encodable {
            let person: PersonSummary
            let references: [ReferenceCrop]
        }

        func run() throws {
            let lib = try LibraryCommand.open(library.path)
            let entries = try lib.people().map { Entry(person: $0, references: try lib.references(for: $0)) }
            if json { try LibraryCommand.printJSON(entries); return }
            if entries.isEmpty { print("nobody is indexed yet; label photos and run `cavendish library scan`"); return }
            for e in entries {
                print(e.person.summary)
                if e.references.isEmpty { print("    no usable reference (needs a box, or a photo naming only them)") }
                for r in e.references {
                    print("    \(r.pinned ? "pinned " : "")\(r.photo)  box \(r.box)\(r.boxFromMetadata ? "" : " (whole photo)")  "
                          + String(format: "score %.3f", r.score))
                }
            }
        }
    }

    struct Pin: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Always use a photo as one of a person's references.")
        @Argument(help: "The person (Name, @Name or Name#N).") var name: String
        @Argument(help: "The photo, relative to the library.") var photo: String
        @OptionGroup var library: LibraryOption
        func run() throws {
            try LibraryCommand.open(library.path).pin(name, photo: photo)
            print("pinned \(photo) for \(name)")
        }
    }

    struct Exclude: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Never use a photo for a person.")
        @Argument(help: "The person (Name, @Name or Name#N).") var name: String
        @Argument(help: "The photo, relative to the library.") var photo: String
        @OptionGroup var library: LibraryOption
        func run() throws {
            try LibraryCommand.open(library.path).exclude(name, photo: photo)
            print("excluded \(photo) for \(name)")
        }
    }

    struct SetMe: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-me", abstract: "Say which indexed person you are (\"me\" in prompts).")
        @Argument(help: "Your name as the index has it.") var name: String
        @OptionGroup var library: LibraryOption
        func run() throws {
            let lib = try LibraryCommand.open(library.path)
            try lib.setMe(name)
            print("\(try lib.person(name).handle) is you")
        }
    }

    struct Relate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say how someone relates to you (\"my partner\", \"my kids\", \"my dog\").")
        @Argument(help: "The person or pet (Name, @Name or Name#N).") var name: String
        @Option(name: .customLong("as"), help: "family, partner, child, pet or friend (or me, as set-me).") var relation: String
        @Option(help: "A pet's species (dog, cat, ...), which \"my dog\" matches.") var species: String?
        @OptionGroup var library: LibraryOption
        func run() throws {
            guard let r = Relation(rawValue: relation.lowercased()) else { throw LibraryError.unknownRelation(relation) }
            let lib = try LibraryCommand.open(library.path)
            try lib.relate(name, as: r, species: species)
            print(r == .me ? "\(try lib.person(name).handle) is you" : "\(try lib.person(name).handle) is your \(r.rawValue)")
        }
    }

    struct Forget: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete everything derived about one person (appearances, references, thumbnails, embeddings).",
            discussion: "Later scans skip them; `disconnect` and `connect` start over.")
        @Argument(help: "The person (Name, @Name or Name#N).") var name: String
        @OptionGroup var library: LibraryOption
        func run() throws {
            let r = try LibraryCommand.open(library.path).forget(name)
            print("forgot \(r.person): \(r.appearances) appearances, \(r.embeddings) cached embeddings, \(r.thumbnails) thumbnails deleted")
        }
    }

    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show who a prompt names and which reference photos would be used, with the placeholder prompt.",
            discussion: """
            Understood: me, my family, my partner/wife/husband, my kids/children, my dog/cat/pet(s), my friends, plain \
            names, @Name, @Name#2 and @First_Last. At most 5 subjects (what Nano Banana 2 keeps consistent).
            """)
        @Argument(help: "The library folder (default: the only connected one).") var path: String?
        @Option(help: "The prompt.") var prompt: String
        @Flag(help: "Print JSON.") var json = false
        func run() throws {
            let resolved = try LibraryCommand.open(path).resolve(prompt: prompt)
            if json { try LibraryCommand.printJSON(resolved); return }
            print(resolved.text)
            for s in resolved.subjects {
                print("\(s.placeholder) = \(s.person.summary) from \(s.mentions.map { "\"\($0)\"" }.joined(separator: ", "))")
                for r in s.references { print("    \(r.photo)  box \(r.box)") }
            }
        }
    }

    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show (or clear) the local log of which library photos were read, and why.")
        @Flag(help: "Delete the log.") var clear = false
        @Flag(help: "Print JSON.") var json = false
        func run() throws {
            let log = AuditLog(dataFolder: LibraryCommand.dataFolder)
            if clear { try log.clear(); print("cleared \(log.path)"); return }
            let entries = log.entries()
            if json { try LibraryCommand.printJSON(entries); return }
            if entries.isEmpty { print("the audit log is empty (\(log.path))"); return }
            let f = ISO8601DateFormatter()
            for e in entries {
                let list = e.photos.isEmpty ? "" : ": " + e.photos.joined(separator: ", ")
                print("\(f.string(from: e.time))  \(e.library)  \(e.purpose)  \(e.photoCount) photo\(e.photoCount == 1 ? "" : "s")\(list)")
            }
        }
    }
}

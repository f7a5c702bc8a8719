import Foundation

/// A rectangle in an image's displayed frame (EXIF orientation applied), in fractions of its width and height.
///
/// `x` and `y` are the top-left corner. A box may reach past the frame (MWG regions of a face cut by the
/// edge do); `visibleFraction` says how much of it lies inside.
public struct NormalizedBox: Codable, Hashable, Sendable, CustomStringConvertible {
    /// Left edge, 0 at the image's left.
    public var x: Double
    /// Top edge, 0 at the image's top.
    public var y: Double
    /// Width as a fraction of the image's width.
    public var width: Double
    /// Height as a fraction of the image's height.
    public var height: Double

    /// A box from its top-left corner and size.
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// A box from its centre and size, the form MWG `stArea` uses.
    public init(centerX: Double, centerY: Double, width: Double, height: Double) {
        self.init(x: centerX - width / 2, y: centerY - height / 2, width: width, height: height)
    }

    /// The whole image.
    public static let wholeImage = NormalizedBox(x: 0, y: 0, width: 1, height: 1)

    /// Whether the numbers describe a real box: finite, positive size, overlapping the frame.
    public var isUsable: Bool {
        [x, y, width, height].allSatisfy(\.isFinite) && width > 0 && height > 0 && width <= 10 && height <= 10
            && x < 1 && y < 1 && x + width > 0 && y + height > 0
    }

    /// The fraction of the box's area inside the frame (1 when wholly inside, 0 when outside).
    public var visibleFraction: Double {
        guard width > 0, height > 0 else { return 0 }
        let w = max(0, min(1, x + width) - max(0, x)), h = max(0, min(1, y + height) - max(0, y))
        return (w * h) / (width * height)
    }

    /// The box with its corners rounded to 1e-6, the precision the index stores and keys on.
    public var rounded: NormalizedBox {
        func r(_ v: Double) -> Double { (v * 1e6).rounded() / 1e6 }
        return NormalizedBox(x: r(x), y: r(y), width: r(width), height: r(height))
    }

    /// A stable text key, "x,y,w,h" at 1e-6 precision, used to key cached embeddings and thumbnails.
    public var key: String {
        let b = rounded
        return [b.x, b.y, b.width, b.height].map { String(format: "%.6f", $0) }.joined(separator: ",")
    }

    /// "x,y wxh" for people to read.
    public var description: String { String(format: "%.3f,%.3f %.3fx%.3f", x, y, width, height) }
}

/// Whether a subject is a person or a pet.
public enum SubjectKind: String, Codable, Sendable, CaseIterable {
    /// A human.
    case person
    /// An animal.
    case pet
}

/// How a subject relates to the library's owner, set with `cavendish library relate` (or `set-me`).
public enum Relation: String, Codable, Sendable, CaseIterable {
    /// The library's owner: "me" in a prompt.
    case me
    /// Family other than partner and children ("my family" includes partner and children too).
    case family
    /// "my partner", "my wife", "my husband".
    case partner
    /// "my kids", "my children", "my son", "my daughter".
    case child
    /// "my pet", "my dog", "my cat".
    case pet
    /// "my friends".
    case friend
}

/// Which metadata said that a subject is in a photo.
public enum MetadataSource: String, Codable, Sendable, CaseIterable {
    /// A Google Takeout JSON sidecar (`people[].name`); never has boxes.
    case takeout
    /// MWG face regions in the JPEG's own XMP packet.
    case embeddedXMP = "xmp-embedded"
    /// MWG face regions in a `.xmp` sidecar.
    case sidecarXMP = "xmp-sidecar"
    /// The library's own `labels.json`.
    case labels
}

/// One subject that a photo's metadata names, with its box when the metadata gives one.
public struct LabeledSubject: Hashable, Sendable, Codable {
    /// The name as written in the metadata (trimmed).
    public var name: String
    /// Person or pet.
    public var kind: SubjectKind
    /// Where in the displayed photo, if known.
    public var box: NormalizedBox?
    /// Which metadata said so.
    public var source: MetadataSource
    /// The species of a pet ("dog", "cat"), when the metadata says (only labels.json can).
    public var species: String?
    /// A disambiguating tag from labels.json, for two different people with the same name.
    public var tag: String

    /// Creates a subject.
    public init(name: String, kind: SubjectKind, box: NormalizedBox? = nil, source: MetadataSource, species: String? = nil, tag: String = "") {
        self.name = name
        self.kind = kind
        self.box = box
        self.source = source
        self.species = species
        self.tag = tag
    }
}

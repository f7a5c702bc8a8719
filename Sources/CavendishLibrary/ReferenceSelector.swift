import Foundation
import GRDB

/// One reference crop chosen for a person: which photo, where in it, and why it was chosen.
public struct ReferenceCrop: Sendable, Codable, Equatable {
    /// The photo, relative to the library.
    public let photo: String
    /// The photo's content SHA-256 (the embedding cache key, with `box`).
    public let photoSHA256: String
    /// The crop in the displayed photo; the whole photo when the metadata named only this person and gave no box.
    public let box: NormalizedBox
    /// Whether `box` came from metadata (false: the whole photo, under the one-name rule).
    public let boxFromMetadata: Bool
    /// Which metadata named the person.
    public let source: MetadataSource
    /// Pinned by the user (`cavendish library pin`).
    public let pinned: Bool
    /// The visible box's shorter side in pixels.
    public let pixelSize: Int
    /// The fraction of the box inside the frame.
    public let visibleFraction: Double
    /// Variance of the Laplacian of the crop shrunk to at most 128 pixels a side.
    public let sharpness: Double
    /// The selection score (see `ReferenceSelector.score`).
    public let score: Double
    /// The crop written as a PNG thumbnail in the data folder (absolute path), when written.
    public let thumbnail: String?
}

/// How reference crops are chosen: deterministically, from size, sharpness and visibility.
///
/// Candidates are a person's appearances in usable photos that are not excluded, with a box, or without
/// one when the photo names nobody else. Pinned photos come first. The rest are ranked by
/// `score = min(side, 512) / 512 * visible * sharpness / (sharpness + 100)`, where `side` is the visible
/// box's shorter side in pixels, `visible` the fraction of the box inside the frame and `sharpness` the
/// variance of the Laplacian of the crop shrunk to 128 pixels; ties go to the lexicographically smaller path.
/// Only the best `shortlist` by size and visibility are decoded to measure sharpness (cached in the index).
public enum ReferenceSelector {
    /// At most this many references per person.
    public static let maximumReferences = 4
    /// Candidates decoded for sharpness per person, beyond pinned ones.
    public static let shortlist = 12
    /// The side, in pixels, at which sharpness is measured.
    public static let sharpnessSide = 128
    /// The longer side of thumbnails.
    public static let thumbnailSide = 256

    /// The score of a candidate (higher is better).
    public static func score(pixelSize: Int, visibleFraction: Double, sharpness: Double) -> Double {
        Double(min(pixelSize, 512)) / 512 * visibleFraction * (sharpness / (sharpness + 100))
    }

    /// The score without sharpness, used to shortlist candidates before decoding.
    static func prescore(pixelSize: Int, visibleFraction: Double) -> Double {
        Double(min(pixelSize, 512)) / 512 * visibleFraction
    }
}

/// A candidate appearance, as read from the index.
struct ReferenceCandidate {
    let appearanceId: Int64
    let photoId: Int64
    let path: String
    let sha: String
    let width: Int
    let height: Int
    let box: NormalizedBox
    let boxFromMetadata: Bool
    let source: MetadataSource
    let pinned: Bool
    var sharpness: Double?

    var visible: Double { box.visibleFraction }

    var pixelSize: Int {
        let w = max(0, min(1, box.x + box.width) - max(0, box.x)) * Double(width)
        let h = max(0, min(1, box.y + box.height) - max(0, box.y)) * Double(height)
        return Int(min(w, h).rounded())
    }

    static func fetch(person: Int64, _ db: Database) throws -> [ReferenceCandidate] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT a.id, a.photoId, a.source, a.x, a.y, a.w, a.h, a.sharpness, ph.path, ph.sha256, ph.width, ph.height,
                   (SELECT COUNT(*) FROM appearance o WHERE o.photoId = a.photoId) AS named,
                   (SELECT c.action FROM choice c WHERE c.personId = a.personId AND c.photoPath = ph.path) AS action
            FROM appearance a JOIN photo ph ON ph.id = a.photoId
            WHERE a.personId = ? AND ph.problem IS NULL AND ph.width > 0 AND ph.height > 0
            """, arguments: [person])
        return try rows.compactMap { row in
            let action: String? = try row.value("action")
            if action == "exclude" { return nil }
            let box = try row.box()
            let named: Int = try row.value("named")
            if box == nil && named != 1 { return nil }  // names several people, no box: not usable for anyone
            return ReferenceCandidate(appearanceId: try row.value("id"), photoId: try row.value("photoId"), path: try row.value("path"), sha: try row.value("sha256"),
                                      width: try row.value("width"), height: try row.value("height"), box: box ?? .wholeImage, boxFromMetadata: box != nil,
                                      source: MetadataSource(rawValue: try row.value("source")) ?? .labels, pinned: action == "pin",
                                      sharpness: try row.value("sharpness"))
        }
    }
}

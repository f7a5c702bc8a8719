import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// One face or pet region of an XMP packet (Metadata Working Group `mwg-rs` schema).
public struct XMPRegion: Sendable, Equatable {
    /// `mwg-rs:Name`.
    public var name: String
    /// `mwg-rs:Type`: `Face` is a person, `Pet` a pet (other types are not returned).
    public var kind: SubjectKind
    /// `mwg-rs:Area` converted from MWG's centre-based `stArea:x/y/w/h` to a top-left box; nil when absent
    /// or not in normalized units.
    public var box: NormalizedBox?
}

/// Reads MWG face regions from an XMP packet, as digiKam, Lightroom and Picasa write them.
///
/// The packet looks like `mwg-rs:Regions / mwg-rs:RegionList / rdf:Bag / rdf:li` with, per region,
/// `mwg-rs:Name`, `mwg-rs:Type` and `mwg-rs:Area` (`stArea:x`, `stArea:y` the centre, `stArea:w`,
/// `stArea:h`, `stArea:unit="normalized"`), each either as an attribute or as a child element; both
/// forms are read. Boxes are taken in the displayed (oriented) frame, which is what these tools write.
/// Elements are matched by local name, so any namespace prefix works.
public enum XMPRegionParser {
    /// The most regions one packet may name.
    public static let maximumRegions = 10_000

    /// The named Face and Pet regions of `xmp`; throws `LibraryError.invalidLabels` naming `path` when it is not XML.
    public static func regions(in xmp: String, path: String) throws -> [XMPRegion] {
        guard let start = xmp.range(of: "<") else { return [] }
        var text = String(xmp[start.lowerBound...])
        // An embedded packet may carry trailing padding or a NUL after the closing packet wrapper.
        if let end = text.range(of: ">", options: .backwards) { text = String(text[...end.lowerBound]) }
        // XMP never declares a DTD (ISO 16684-1 forbids one); refusing it before libxml2 sees the text
        // means no entity is expanded and no external entity's target is ever looked at.
        if text.range(of: "<!DOCTYPE", options: .caseInsensitive) != nil || text.range(of: "<!ENTITY", options: .caseInsensitive) != nil {
            throw LibraryError.invalidLabels(path: path, problem: "the XMP packet declares a DTD or entities, which XMP never does; it was not parsed")
        }
        let parser = XMLParser(data: Data(text.utf8))
        let delegate = RegionCollector()
        parser.delegate = delegate
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        let parsed = parser.parse()
        if delegate.tooMany {
            throw LibraryError.invalidLabels(path: path, problem: "the XMP packet names more than \(maximumRegions) regions; no photo needs as many, and reading them is refused to bound a scan's work")
        }
        guard parsed, delegate.isBalanced else {
            let reason = parser.parserError.map { "\($0.localizedDescription)" } ?? "malformed XML"
            throw LibraryError.invalidLabels(path: path, problem: "the XMP packet is not well-formed XML (\(reason))")
        }
        return delegate.regions.compactMap { raw in
            let name = raw.name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !name.isEmpty else { return nil }
            let kind: SubjectKind
            switch raw.type.lowercased() {
            case "face", "": kind = .person
            case "pet": kind = .pet
            default: return nil  // Focus, BarCode, ...
            }
            var box: NormalizedBox?
            if let x = Double(raw.area["x"] ?? ""), let y = Double(raw.area["y"] ?? ""), let w = Double(raw.area["w"] ?? ""),
               let h = Double(raw.area["h"] ?? ""), (raw.area["unit"] ?? "normalized").lowercased() == "normalized" {
                let candidate = NormalizedBox(centerX: x, centerY: y, width: w, height: h)
                if candidate.isUsable { box = candidate }
            }
            return XMPRegion(name: name, kind: kind, box: box)
        }
    }
}

/// XMLParser delegate gathering `rdf:li` regions under a `RegionList`.
private final class RegionCollector: NSObject, XMLParserDelegate {
    struct Raw { var name = "", type = "", area: [String: String] = [:] }
    var regions: [Raw] = []
    /// Set when the packet names more than `XMPRegionParser.maximumRegions` regions; parsing stops there.
    var tooMany = false
    private var stack: [String] = []
    private var current: Raw?
    private var regionDepth = -1
    private var listDepth = -1
    private var text = ""
    private var started = false

    /// Whether at least one element was read and every element opened was closed.
    var isBalanced: Bool { started && stack.isEmpty }

    private static func local(_ name: String) -> String {
        name.split(separator: ":").last.map(String.init) ?? name
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        let name = Self.local(elementName)
        stack.append(name)
        started = true
        text = ""
        if name == "RegionList", listDepth < 0 { listDepth = stack.count }
        if listDepth > 0, name == "li", current == nil, stack.count == listDepth + 2 {
            current = Raw()
            regionDepth = stack.count
        }
        guard current != nil else { return }
        let inArea = stack.contains("Area")
        for (key, value) in attributes {
            switch Self.local(key) {
            case "Name": current!.name = value
            case "Type": current!.type = value
            case "x", "y", "w", "h", "unit": if inArea { current!.area[Self.local(key)] = value }
            default: break
            }
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        let name = Self.local(elementName)
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if current != nil, !value.isEmpty {
            let parent = stack.count >= 2 ? stack[stack.count - 2] : ""
            switch name {
            case "Name": if current!.name.isEmpty && !stack.dropLast().contains("Extensions") { current!.name = value }
            case "Type": current!.type = value
            case "x", "y", "w", "h", "unit": if parent == "Area" { current!.area[name] = value }
            default: break
            }
        }
        if current != nil, stack.count == regionDepth, name == "li" {
            guard regions.count < XMPRegionParser.maximumRegions else {
                tooMany = true
                parser.abortParsing()
                return
            }
            regions.append(current!)
            current = nil
            regionDepth = -1
        }
        if name == "RegionList", stack.count == listDepth { listDepth = -1 }
        stack.removeLast()
        text = ""
    }
}

@testable import CavendishLibrary
import Foundation
import Testing

/// Takeout, XMP and labels.json samples written from the public format descriptions.
@Suite struct TakeoutTests {
    /// A sidecar in the shape Google Takeout writes for Google Photos (fields not used here included).
    static let sidecar = """
    {
      "title": "IMG_20230704_101500.jpg",
      "description": "",
      "imageViews": "3",
      "creationTime": {"timestamp": "1688550000", "formatted": "Jul 5, 2023, 9:40:00 AM UTC"},
      "photoTakenTime": {"timestamp": "1688465700", "formatted": "Jul 4, 2023, 10:15:00 AM UTC"},
      "geoData": {"latitude": 0.0, "longitude": 0.0, "altitude": 0.0, "latitudeSpan": 0.0, "longitudeSpan": 0.0},
      "people": [{"name": "Ava Hart"}, {"name": "Ben Hart"}, {"name": " "}, {"name": "Ava Hart"}],
      "url": "https://photos.google.com/photo/AF1Qip",
      "googlePhotosOrigin": {"mobileUpload": {"deviceType": "ANDROID_PHONE"}}
    }
    """

    @Test func readsPeopleAndTakenTime() throws {
        let s = try TakeoutSidecar(jsonData: Data(Self.sidecar.utf8), path: "x.json")
        #expect(s.people == ["Ava Hart", "Ben Hart"])
        #expect(s.takenAt == Date(timeIntervalSince1970: 1_688_465_700))
        let bare = try TakeoutSidecar(jsonData: Data("{\"title\": \"a.jpg\"}".utf8), path: "a.json")
        #expect(bare.people.isEmpty && bare.takenAt == nil)
        expectLibraryError({ _ = try TakeoutSidecar(jsonData: Data("[1, 2]".utf8), path: "bad.json") }) {
            $0.description.contains("bad.json")
        }
    }

    @Test func findsEverySidecarNamingTakeoutUses() {
        let m = TakeoutSidecar.sidecarName
        #expect(m("IMG_1.jpg", ["IMG_1.jpg.json"]) == "IMG_1.jpg.json")
        #expect(m("IMG_1.jpg", ["IMG_1.jpg.supplemental-metadata.json", "IMG_1.jpg.json"]) == "IMG_1.jpg.supplemental-metadata.json")
        #expect(m("IMG_1.jpg", ["IMG_1.jpg.supplemental-metadat.json"]) == "IMG_1.jpg.supplemental-metadat.json")
        #expect(m("IMG_1.jpg", ["IMG_1.jpg.suppl.json"]) == "IMG_1.jpg.suppl.json")
        #expect(m("IMG_1.jpg", ["IMG_1.jpg..json"]) == "IMG_1.jpg..json")
        // Edited copies share the original's sidecar.
        #expect(m("IMG_1-edited.jpg", ["IMG_1.jpg.supplemental-metadata.json"]) == "IMG_1.jpg.supplemental-metadata.json")
        #expect(m("IMG_1-edited.jpg", ["IMG_1.jpg.json"]) == "IMG_1.jpg.json")
        // Duplicates: Takeout moves the counter behind the extension.
        #expect(m("IMG_1(1).jpg", ["IMG_1.jpg.json", "IMG_1.jpg(1).json"]) == "IMG_1.jpg(1).json")
        #expect(m("IMG_1(1).jpg", ["IMG_1.jpg.supplemental-metadata(1).json"]) == "IMG_1.jpg.supplemental-metadata(1).json")
        #expect(m("IMG_1.jpg", ["IMG_1.jpg(1).json"]) == nil)
        // A long name cut to Takeout's 51-character limit (46 before ".json").
        let long = "Screenshot_20230704-101500_Some_Long_App_Name.png"
        #expect(m(long, [String(long.prefix(46)) + ".json"]) == String(long.prefix(46)) + ".json")
        #expect(m("PXL_20230704_101500123.MP.jpg", ["PXL_20230704_101500123.MP.jpg.supplemental-me.json"])
                == "PXL_20230704_101500123.MP.jpg.supplemental-me.json")
        // Never another photo's sidecar, an album's metadata.json or labels.json.
        #expect(m("IMG_1.jpg", ["IMG_10.jpg.json", "IMG_1.png.json", "metadata.json", "labels.json"]) == nil)
        #expect(m("IMG_1.jpg", ["IMG_1.json"]) == nil)
    }
}

@Suite struct XMPTests {
    /// digiKam's form: name, type and area as attributes.
    static let attributeForm = """
    <x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
     <rdf:Description rdf:about="" xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
       xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#" xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#">
      <mwg-rs:Regions rdf:parseType="Resource">
       <mwg-rs:AppliedToDimensions stDim:w="4000" stDim:h="3000" stDim:unit="pixel"/>
       <mwg-rs:RegionList><rdf:Bag>
        <rdf:li><rdf:Description mwg-rs:Name="Ava Hart" mwg-rs:Type="Face">
         <mwg-rs:Area stArea:x="0.5" stArea:y="0.4" stArea:w="0.2" stArea:h="0.3" stArea:unit="normalized"/>
        </rdf:Description></rdf:li>
        <rdf:li><rdf:Description mwg-rs:Name="Biscuit" mwg-rs:Type="Pet">
         <mwg-rs:Area stArea:x="1.0" stArea:y="1.0" stArea:w="0.4" stArea:h="0.4" stArea:unit="normalized"/>
        </rdf:Description></rdf:li>
        <rdf:li><rdf:Description mwg-rs:Name="sharp bit" mwg-rs:Type="Focus">
         <mwg-rs:Area stArea:x="0.5" stArea:y="0.5" stArea:w="0.1" stArea:h="0.1" stArea:unit="normalized"/>
        </rdf:Description></rdf:li>
       </rdf:Bag></mwg-rs:RegionList>
      </mwg-rs:Regions>
     </rdf:Description></rdf:RDF></x:xmpmeta>
    """

    /// The element form (each property a child element, `rdf:parseType="Resource"`), as Lightroom writes it.
    static let elementForm = """
    <?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
    <x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
     <rdf:Description rdf:about="" xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
       xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#">
      <mwg-rs:Regions rdf:parseType="Resource">
       <mwg-rs:RegionList><rdf:Bag>
        <rdf:li rdf:parseType="Resource">
         <mwg-rs:Name>Ben Hart</mwg-rs:Name>
         <mwg-rs:Type>Face</mwg-rs:Type>
         <mwg-rs:Area rdf:parseType="Resource">
          <stArea:x>0.30</stArea:x><stArea:y>0.50</stArea:y><stArea:w>0.10</stArea:w><stArea:h>0.20</stArea:h>
          <stArea:unit>normalized</stArea:unit>
         </mwg-rs:Area>
        </rdf:li>
        <rdf:li rdf:parseType="Resource">
         <mwg-rs:Name>Cleo</mwg-rs:Name>
         <mwg-rs:Type>Face</mwg-rs:Type>
        </rdf:li>
       </rdf:Bag></mwg-rs:RegionList>
      </mwg-rs:Regions>
     </rdf:Description></rdf:RDF></x:xmpmeta>
    <?xpacket end="w"?>
    """

    @Test func readsAttributeForm() throws {
        let regions = try XMPRegionParser.regions(in: Self.attributeForm, path: "a.xmp")
        #expect(regions.map(\.name) == ["Ava Hart", "Biscuit"])
        #expect(regions.map(\.kind) == [.person, .pet])
        let ava = try #require(regions[0].box)
        #expect(abs(ava.x - 0.4) < 1e-9 && abs(ava.y - 0.25) < 1e-9 && abs(ava.width - 0.2) < 1e-9 && abs(ava.height - 0.3) < 1e-9)
        let biscuit = try #require(regions[1].box)
        #expect(abs(biscuit.visibleFraction - 0.25) < 1e-9)  // centre at the corner: a quarter inside
    }

    @Test func readsElementForm() throws {
        let regions = try XMPRegionParser.regions(in: Self.elementForm, path: "b.xmp")
        #expect(regions.map(\.name) == ["Ben Hart", "Cleo"])
        let ben = try #require(regions[0].box)
        #expect(abs(ben.x - 0.25) < 1e-9 && abs(ben.y - 0.4) < 1e-9)
        #expect(regions[1].box == nil)
    }

    @Test func rejectsMalformedXMLAndIgnoresPixelUnits() throws {
        expectLibraryError({ _ = try XMPRegionParser.regions(in: "<x:xmpmeta><rdf:RDF>", path: "broken.xmp") }) {
            $0.description.contains("broken.xmp") && $0.description.contains("XML")
        }
        let pixels = Self.attributeForm.replacingOccurrences(of: "stArea:unit=\"normalized\"", with: "stArea:unit=\"pixel\"")
        #expect(try XMPRegionParser.regions(in: pixels, path: "p.xmp").allSatisfy { $0.box == nil })
        #expect(try XMPRegionParser.regions(in: "no xml here", path: "n.xmp").isEmpty)
    }

    /// A DTD is refused before the XML parser sees it, so no entity is expanded and an external entity's
    /// target is never looked at (before, libxml2 `stat`ed it even with external entities off).
    @Test func refusesADTDAndItsEntities() throws {
        let hostile = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY who SYSTEM \"file:///nonexistent/cavendish-probe\">]>"
            + Self.attributeForm.replacingOccurrences(of: "Ava Hart", with: "&who;")
        expectLibraryError({ _ = try XMPRegionParser.regions(in: hostile, path: "hostile.xmp") }) {
            $0.description.contains("hostile.xmp") && $0.description.contains("DTD")
        }
        let lower = Self.attributeForm.replacingOccurrences(of: "<x:xmpmeta", with: "<!entity a 'b'><x:xmpmeta")
        expectLibraryError({ _ = try XMPRegionParser.regions(in: lower, path: "lower.xmp") })
    }

    /// A packet may name at most `maximumRegions` regions: one that names more is refused with that
    /// reason, which bounds a scan's work (100,000 regions took minutes, and libxml2 failed past ~50,000
    /// with an unexplained error).
    @Test func boundsTheRegionsOfOnePacket() throws {
        func packet(_ n: Int) -> String {
            let region = #"<rdf:li><rdf:Description mwg-rs:Name="P%d" mwg-rs:Type="Face"/></rdf:li>"#
            return #"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="r"><rdf:Description xmlns:mwg-rs="m"><mwg-rs:Regions><mwg-rs:RegionList><rdf:Bag>"#
                + (0..<n).map { region.replacingOccurrences(of: "%d", with: String($0)) }.joined()
                + "</rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions></rdf:Description></rdf:RDF></x:xmpmeta>"
        }
        let limit = XMPRegionParser.maximumRegions
        #expect(try XMPRegionParser.regions(in: packet(limit), path: "full.xmp").count == limit)
        expectLibraryError({ _ = try XMPRegionParser.regions(in: packet(limit + 1), path: "over.xmp") }) {
            $0.description.contains("more than \(limit) regions")
        }
    }

    @Test func readsXMPEmbeddedInAJPEG() throws {
        let probe = try PhotoDecoder.probe(try LibraryFixture.data("embedded-xmp.jpg")).get()
        let xmp = try #require(probe.xmp)
        let regions = try XMPRegionParser.regions(in: xmp, path: "embedded-xmp.jpg")
        #expect(regions.map(\.name) == ["Ava Hart", "Biscuit"])
        #expect(regions.map(\.kind) == [.person, .pet])
        #expect(regions[0].box == NormalizedBox(x: 0.125, y: 0.25, width: 0.25, height: 0.5))
    }
}

@Suite struct LabelsFileTests {
    @Test func readsTheDocumentedForm() throws {
        let json = labelsJSON([
            "./beach/IMG_0001.jpg": #"[{"name": "Ava", "kind": "person", "box": {"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4}}, {"name": "Biscuit", "kind": "pet", "species": "Dog"}]"#,
            "IMG_0002.png": #"[{"name": "Sam", "tag": "cousin"}]"#,
        ])
        let labels = try LabelsFile(jsonData: Data(json.utf8), path: "labels.json")
        let beach = try #require(labels.photos["beach/IMG_0001.jpg"])
        #expect(beach[0] == LabeledSubject(name: "Ava", kind: .person, box: NormalizedBox(x: 0.1, y: 0.2, width: 0.3, height: 0.4), source: .labels))
        #expect(beach[1].kind == .pet && beach[1].species == "dog" && beach[1].box == nil)
        #expect(labels.photos["IMG_0002.png"]?.first?.tag == "cousin")
    }

    @Test(arguments: [
        ("[]", "JSON object"),
        (#"{"version": 2, "photos": {}}"#, "version"),
        (#"{"photos": []}"#, "\"photos\""),
        (#"{"photos": {"a.jpg": [{"kind": "person"}]}}"#, "\"name\""),
        (#"{"photos": {"a.jpg": [{"name": "A", "kind": "robot"}]}}"#, "\"kind\""),
        (#"{"photos": {"a.jpg": [{"name": "A", "box": {"x": 10, "y": 0, "w": 20, "h": 30}}]}}"#, "normalized"),
        (#"{"photos": {"../a.jpg": [{"name": "A"}]}}"#, "inside the library"),
    ])
    func explainsWhatIsWrong(json: String, phrase: String) {
        expectLibraryError({ _ = try LabelsFile(jsonData: Data(json.utf8), path: "lib/labels.json") }) {
            $0.description.contains("lib/labels.json") && $0.description.contains(phrase)
        }
    }
}

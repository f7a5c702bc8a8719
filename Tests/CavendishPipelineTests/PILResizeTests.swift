import CavendishCore
import CavendishIO
import Foundation
import Testing
@testable import CavendishPipeline

/// `PILResize` against Pillow's own `Image.resize` (Tests/Fixtures/resize/pil_resize.h5, written by
/// scripts/pil_resize_reference.py): bilinear down- and upscales and bicubic up- and downscales, equal
/// value for value.
struct PILResizeTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/resize/pil_resize.h5").path

    @Test(arguments: 0..<6)
    func matchesPillow(index: Int) throws {
        let file = try HDF5File(readingFrom: Self.fixture)
        let src = try file.tensor(at: "case_\(index)/src"), expected = try file.tensor(at: "case_\(index)/out")
        guard case .string(let name)? = try file.attribute("filter", of: "case_\(index)") else { Issue.record("no filter"); return }
        let out = PILResize.resize(src.int64s().map { UInt8($0) }, width: src.shape[1], height: src.shape[0],
                                   toWidth: expected.shape[1], toHeight: expected.shape[0], filter: name == "bicubic" ? .bicubic : .bilinear)
        let want = expected.int64s().map { UInt8($0) }
        let off = zip(out, want).filter { $0 != $1 }.count
        #expect(off == 0, "case \(index) (\(name)): \(off) of \(want.count) values differ from Pillow")
    }
}

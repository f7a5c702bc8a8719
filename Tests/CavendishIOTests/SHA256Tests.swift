import CavendishIO
import Foundation
import Testing

/// Digests from FIPS 180-4's examples ("abc", the two-block message), the empty message, and a
/// multi-block message, all as `sha256sum`/hashlib give them.
struct SHA256Tests {
    @Test func knownDigests() {
        #expect(SHA256.hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(Data(repeating: UInt8(ascii: "a"), count: 1000))
                == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    /// RFC 4231's test cases 1 and 6 (a 20-byte key, and a 131-byte key longer than a block), which
    /// Python's `hmac.new(key, msg, hashlib.sha256)` gives too.
    @Test func hmacMatchesRFC4231() {
        #expect(SHA256.hmacHex(key: Data(repeating: 0x0b, count: 20), message: Data("Hi There".utf8))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(SHA256.hmacHex(key: Data(repeating: 0xaa, count: 131), message: Data("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func missingFileIsAnIOError() {
        #expect(throws: IOError.self) { try SHA256.hex(ofFile: "/nonexistent/weights.h5") }
    }
}

"""Fixtures for the photo-library tests: Tests/Fixtures/library/.

Writes (deterministic; rerun from the repository root with `python3 scripts/library_fixtures.py`):

- `orientation/orient-<o>.jpg`, o = 1..8: one displayed picture (48x32, four flat quadrants: red top-left,
  green top-right, blue bottom-left, white bottom-right) stored rotated/mirrored as EXIF Orientation o
  demands, with the Orientation tag in IFD0. The script checks with PIL's `ImageOps.exif_transpose` that
  each file displays as the picture. The tests check the decoder shows the same quadrants.
- `embedded-xmp.jpg`: a 64x48 JPEG with an XMP packet in APP1 (`http://ns.adobe.com/xap/1.0/` NUL),
  holding MWG face regions written from the Metadata Working Group's Guidelines for Handling Image
  Metadata 2.0, section "Image Region Metadata" (`mwg-rs:RegionList` of `rdf:li` with `mwg-rs:Name`,
  `mwg-rs:Type` Face/Pet, `mwg-rs:Area` with `stArea:x/y` the centre, `stArea:w/h`, normalized units).
- `cmyk.jpg`: a 16x16 Adobe CMYK JPEG (PIL writes inverted CMYK with an Adobe marker), flat red.
- `quadrants.heic`: the displayed picture above encoded by libheif's `heif-enc` (x265), when
  `heif-enc` is installed (Debian package `libheif-examples`); otherwise the file is left as it is.

Needs Pillow.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

from PIL import Image, ImageOps

OUT = os.path.join("Tests", "Fixtures", "library")

COLOURS = {"tl": (220, 30, 30), "tr": (30, 200, 40), "bl": (30, 40, 220), "br": (250, 250, 250)}

# The PIL transpose that turns the displayed picture into what is stored for each orientation (the inverse
# of what exif_transpose applies when reading).
STORE = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}

XMP_REGIONS = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
    xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#"
    xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#">
   <mwg-rs:Regions rdf:parseType="Resource">
    <mwg-rs:AppliedToDimensions stDim:w="64" stDim:h="48" stDim:unit="pixel"/>
    <mwg-rs:RegionList>
     <rdf:Bag>
      <rdf:li>
       <rdf:Description mwg-rs:Name="Ava Hart" mwg-rs:Type="Face">
        <mwg-rs:Area stArea:x="0.25" stArea:y="0.5" stArea:w="0.25" stArea:h="0.5" stArea:unit="normalized"/>
       </rdf:Description>
      </rdf:li>
      <rdf:li>
       <rdf:Description mwg-rs:Name="Biscuit" mwg-rs:Type="Pet">
        <mwg-rs:Area stArea:x="0.75" stArea:y="0.75" stArea:w="0.2" stArea:h="0.3" stArea:unit="normalized"/>
       </rdf:Description>
      </rdf:li>
     </rdf:Bag>
    </mwg-rs:RegionList>
   </mwg-rs:Regions>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def quadrants(w: int = 48, h: int = 32) -> Image.Image:
    img = Image.new("RGB", (w, h))
    for y in range(h):
        for x in range(w):
            key = ("t" if y < h // 2 else "b") + ("l" if x < w // 2 else "r")
            img.putpixel((x, y), COLOURS[key])
    return img


def with_app1(jpeg: bytes, payload: bytes) -> bytes:
    """Inserts an APP1 segment right after SOI."""
    assert jpeg[:2] == b"\xff\xd8"
    length = len(payload) + 2
    assert length < 65536
    return jpeg[:2] + b"\xff\xe1" + length.to_bytes(2, "big") + payload + jpeg[2:]


def close(a, b, tol=40):
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def main() -> None:
    os.makedirs(os.path.join(OUT, "orientation"), exist_ok=True)
    shown = quadrants()
    for o, op in STORE.items():
        stored = shown if op is None else shown.transpose(op)
        exif = Image.Exif()
        exif[0x0112] = o
        path = os.path.join(OUT, "orientation", f"orient-{o}.jpg")
        stored.save(path, quality=95, subsampling=0, exif=exif.tobytes())
        back = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        assert back.size == shown.size, (o, back.size)
        for (x, y), key in [((12, 8), "tl"), ((36, 8), "tr"), ((12, 24), "bl"), ((36, 24), "br")]:
            assert close(back.getpixel((x, y)), COLOURS[key]), (o, key, back.getpixel((x, y)))

    import io
    buf = io.BytesIO()
    quadrants(64, 48).save(buf, "JPEG", quality=90)
    packet = b"http://ns.adobe.com/xap/1.0/\x00" + XMP_REGIONS.encode("utf-8")
    with open(os.path.join(OUT, "embedded-xmp.jpg"), "wb") as f:
        f.write(with_app1(buf.getvalue(), packet))

    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(os.path.join(OUT, "cmyk.jpg"), quality=95)

    heif_enc = shutil.which("heif-enc")
    if heif_enc is None:
        print("heif-enc not found (apt-get install libheif-examples); quadrants.heic left as it is", file=sys.stderr)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            png = os.path.join(tmp, "q.png")
            shown.save(png)
            subprocess.run([heif_enc, "-q", "90", "-o", os.path.join(OUT, "quadrants.heic"), png], check=True,
                           stdout=subprocess.DEVNULL)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

"""Writes the demo photo library, Weights/demo-library/: 6 people and 2 pets in 30 photos (and one broken file).

The photos are drawn by the synthetic world generator of the training recipe (Weights/recipe/world, used
read-only) from its *held-out* identities, which training never sees. The library holds the three kinds of
metadata Cavendish reads, the way real tools write them:

- `Takeout/Google Photos/Photos from 2023/`: JPEGs with Google Takeout JSON sidecars (`people[].name`,
  `photoTakenTime`), including the truncated `.suppl.json` and `..json` names and an `-edited` copy sharing
  its original's sidecar. Takeout gives no boxes, so its group photo is used for nobody (the no-box rule).
- `Camera/2024/`: JPEGs with digiKam-style `.xmp` sidecars holding MWG face regions (boxes), one JPEG with
  the regions embedded in its own XMP packet, and one stored rotated with EXIF Orientation 6.
- `Phone/`: PNGs (and a HEIC when libheif's `heif-enc` is installed) labelled by a `labels.json`.
- `Camera/2024/DSC_0999.JPG`: a JPEG cut short, which a scan reports and skips.

`demo-manifest.json` maps each display name to its world identity (split, kind, index) for evaluation.
No consent is recorded anywhere: connect it with `cavendish library connect Weights/demo-library --consent`.

Deterministic: rerunning gives the same files (with the same Pillow and libheif versions).
Run from the repository root: `python3 scripts/make_demo_library.py [--out DIR]`. Needs Pillow and numpy.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image, ImageEnhance

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Weights"))
from recipe.world import identity as ident  # noqa: E402  (read-only use of the world generator)
from recipe.world import scene as world  # noqa: E402

# Display name -> (kind, held-out index). Relations are set by the README's commands, not stored here.
CAST = {
    "Maya": ("person", 1),   # me
    "Paul": ("person", 2),   # partner
    "Kira": ("person", 0),   # child
    "Yuri": ("person", 5),   # child
    "Quinn": ("person", 6),  # family
    "Will": ("person", 3),   # friend
    "Bean": ("pet", 0),      # dog
    "Olive": ("pet", 1),     # cat
}
SETTINGS = ["beach", "park", "kitchen", "mountains", "living room", "forest", "city street", "snow"]
BASE_TIME = 1_688_000_000  # 2023-06-29, plus a day per photo


def render(names, seed, size):
    """(PIL image, [(name, kind, box normalized top-left)]) of one photo-style scene of `names`."""
    subjects = [CAST[n] for n in names]
    sc = world.sample_scene(seed, "heldout", size, subjects=subjects, setting=SETTINGS[seed % len(SETTINGS)],
                            style="photo", text="")
    pixels, labels = world.render(sc)
    boxes = []
    for name, label in zip(names, labels):
        x0, y0, x1, y1 = label["box"]
        boxes.append((name, label["kind"], (x0 / size, y0 / size, (x1 - x0) / size, (y1 - y0) / size)))
    return Image.fromarray(np.asarray(pixels)), boxes


def jpeg_bytes(img, exif=None, xmp=None):
    buf = io.BytesIO()
    kwargs = {"quality": 85, "optimize": True}
    if exif is not None:
        kwargs["exif"] = exif
    img.save(buf, "JPEG", **kwargs)
    data = buf.getvalue()
    if xmp is not None:
        payload = b"http://ns.adobe.com/xap/1.0/\x00" + xmp.encode("utf-8")
        data = data[:2] + b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload + data[2:]
    return data


def xmp_packet(boxes):
    """An XMP packet with MWG regions (centre-based normalized stArea), as digiKam writes it."""
    items = []
    for name, kind, (x, y, w, h) in boxes:
        items.append(f"""      <rdf:li>
       <rdf:Description mwg-rs:Name="{name}" mwg-rs:Type="{'Pet' if kind == 'pet' else 'Face'}">
        <mwg-rs:Area stArea:x="{x + w / 2:.5f}" stArea:y="{y + h / 2:.5f}" stArea:w="{w:.5f}" stArea:h="{h:.5f}" stArea:unit="normalized"/>
       </rdf:Description>
      </rdf:li>""")
    body = "\n".join(items)
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
    xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#"
    xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#">
   <mwg-rs:Regions rdf:parseType="Resource">
    <mwg-rs:RegionList>
     <rdf:Bag>
{body}
     </rdf:Bag>
    </mwg-rs:RegionList>
   </mwg-rs:Regions>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
"""


def takeout_sidecar(title, names, stamp):
    from datetime import datetime, timezone
    formatted = datetime.fromtimestamp(stamp, timezone.utc).strftime("%b %-d, %Y, %-I:%M:%S %p UTC")
    return json.dumps({
        "title": title,
        "description": "",
        "imageViews": "1",
        "creationTime": {"timestamp": str(stamp + 600), "formatted": formatted},
        "photoTakenTime": {"timestamp": str(stamp), "formatted": formatted},
        "geoData": {"latitude": 0.0, "longitude": 0.0, "altitude": 0.0, "latitudeSpan": 0.0, "longitudeSpan": 0.0},
        "people": [{"name": n} for n in names],
        "url": "https://photos.google.com/photo/demo",
    }, indent=2) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join("Weights", "demo-library"))
    out = ap.parse_args().out
    if os.path.exists(out):
        shutil.rmtree(out)
    written = []

    def put(rel, data):
        path = os.path.join(out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        if rel.lower().endswith((".jpg", ".png", ".heic")) and len(data) > 100:
            written.append(rel)

    seed = 100
    # --- Google Takeout: names only, no boxes.
    takeout = "Takeout/Google Photos/Photos from 2023"
    solos = [("Maya", 2), ("Paul", 2), ("Kira", 2), ("Yuri", 2), ("Bean", 1), ("Olive", 1)]
    n = 0
    for name, count in solos:
        for _ in range(count):
            n += 1
            seed += 1
            img, _ = render([name], seed, 160)
            title = f"PXL_202307{n:02d}_1{n:02d}500.jpg"
            put(f"{takeout}/{title}", jpeg_bytes(img))
            sidecar = {1: f"{title}.suppl.json", 2: f"{title}..json"}.get(n, f"{title}.supplemental-metadata.json")
            put(f"{takeout}/{sidecar}", takeout_sidecar(title, [name], BASE_TIME + n * 86400))
            if n == 3:  # an edited copy that shares its original's sidecar
                put(f"{takeout}/{title[:-4]}-edited.jpg", jpeg_bytes(ImageEnhance.Brightness(img).enhance(1.15)))
    seed += 1
    img, _ = render(["Maya", "Paul"], seed, 192)
    put(f"{takeout}/PXL_20230815_120000.jpg", jpeg_bytes(img))
    put(f"{takeout}/PXL_20230815_120000.jpg.supplemental-metadata.json",
        takeout_sidecar("PXL_20230815_120000.jpg", ["Maya", "Paul"], BASE_TIME + 50 * 86400))

    # --- Camera: MWG regions in .xmp sidecars, one embedded, one stored rotated (EXIF Orientation 6).
    camera = "Camera/2024"
    groups = [["Maya", "Paul", "Kira"], ["Kira", "Yuri", "Bean"], ["Quinn", "Maya"], ["Will", "Paul"],
              ["Quinn"], ["Quinn"], ["Will"], ["Will"], ["Bean", "Olive"], ["Kira"], ["Yuri", "Kira"]]
    for i, names in enumerate(groups):
        seed += 1
        img, boxes = render(names, seed, 224 if len(names) > 1 else 160)
        name = f"DSC_{1000 + i}.JPG"
        put(f"{camera}/{name}", jpeg_bytes(img))
        put(f"{camera}/{name}.xmp", xmp_packet(boxes))
    seed += 1
    img, boxes = render(["Yuri", "Olive", "Maya"], seed, 224)
    put(f"{camera}/DSC_2000.JPG", jpeg_bytes(img, xmp=xmp_packet(boxes)))
    seed += 1
    img, boxes = render(["Paul"], seed, 192)
    exif = Image.Exif()
    exif[0x0112] = 6  # displayed = stored turned 90 degrees clockwise; regions are in the displayed frame
    put(f"{camera}/DSC_2001.JPG", jpeg_bytes(img.transpose(Image.Transpose.ROTATE_90), exif=exif.tobytes()))
    put(f"{camera}/DSC_2001.xmp", xmp_packet(boxes))

    # A file cut short by a failed copy: reported and skipped by a scan, never fatal.
    put(f"{camera}/DSC_0999.JPG", jpeg_bytes(img)[:100])

    # --- Phone: labels.json (and a HEIC when heif-enc is available).
    phone = "Phone"
    labels = {}
    phone_shots = [["Bean"], ["Olive"], ["Bean", "Yuri"], ["Maya", "Paul", "Kira", "Yuri", "Quinn"]]
    for i, names in enumerate(phone_shots):
        seed += 1
        img, boxes = render(names, seed, 128 if len(names) == 1 else 224)
        rel = f"IMG_{3000 + i}.png"
        buf = io.BytesIO()
        img.save(buf, "PNG", optimize=True)
        put(f"{phone}/{rel}", buf.getvalue())
        labels[rel] = [label_entry(name, kind, box) for name, kind, box in boxes]
    seed += 1
    img, boxes = render(["Olive"], seed, 128)
    heif_enc = shutil.which("heif-enc")
    if heif_enc:
        with tempfile.TemporaryDirectory() as tmp:
            png = os.path.join(tmp, "in.png")
            img.save(png)
            heic = os.path.join(tmp, "out.heic")
            subprocess.run([heif_enc, "-q", "70", "-o", heic, png], check=True, stdout=subprocess.DEVNULL)
            with open(heic, "rb") as f:
                put(f"{phone}/IMG_3004.heic", f.read())
        labels["IMG_3004.heic"] = [label_entry(n, k, b) for n, k, b in boxes]
    else:
        buf = io.BytesIO()
        img.save(buf, "PNG", optimize=True)
        put(f"{phone}/IMG_3004.png", buf.getvalue())
        labels["IMG_3004.png"] = [label_entry(n, k, b) for n, k, b in boxes]
    put(f"{phone}/labels.json", json.dumps({"version": 1, "photos": labels}, indent=2, sort_keys=True) + "\n")

    manifest = {
        "generator": "Weights/recipe/world (held-out identities)",
        "people": {name: {"kind": kind, "split": "heldout", "index": index,
                          "world_name": ident.identity(kind, "heldout", index).name,
                          **({"species": ident.pet("heldout", index).species} if kind == "pet" else {})}
                   for name, (kind, index) in CAST.items()},
        "photos": len(written),
    }
    put("demo-manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(out) for f in fs)
    print(f"wrote {len(written)} photos to {out} ({total / 1024:.0f} KiB)")


def label_entry(name, kind, box):
    x, y, w, h = box
    entry = {"name": name, "kind": kind, "box": {"x": round(x, 5), "y": round(y, 5), "w": round(w, 5), "h": round(h, 5)}}
    if kind == "pet":
        entry["species"] = ident.pet("heldout", CAST[name][1]).species
    return entry


if __name__ == "__main__":
    main()

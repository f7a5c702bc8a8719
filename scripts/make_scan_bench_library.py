"""Writes a 10,000-photo library for measuring `cavendish library scan` (metadata only, no embeddings).

Layout: 100 folders of 100 tiny distinct JPEGs (24x24, about 700 bytes each). Half the photos have a
Google Takeout sidecar (`.supplemental-metadata.json`, some with the truncated names), a quarter an
`.xmp` sidecar with MWG face regions, and the rest are labelled by one `labels.json` per folder; 400
different people. Deterministic (seeded).

    python3 scripts/make_scan_bench_library.py --out /tmp/cavendish-scan-bench [--photos 10000]
    export CAVENDISH_DATA_HOME=/tmp/cavendish-scan-bench-data
    cavendish library connect /tmp/cavendish-scan-bench --consent
    cavendish library scan /tmp/cavendish-scan-bench --json     # photosPerSecond: the first, full scan
    cavendish library scan /tmp/cavendish-scan-bench --json     # the incremental rescan (nothing changed)

Needs Pillow.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil

from PIL import Image

XMP = """<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="" xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
   xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#">
  <mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:RegionList><rdf:Bag>
{items}
  </rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>
 </rdf:Description></rdf:RDF></x:xmpmeta>
"""
ITEM = """   <rdf:li><rdf:Description mwg-rs:Name="{name}" mwg-rs:Type="Face">
    <mwg-rs:Area stArea:x="{x:.3f}" stArea:y="0.5" stArea:w="0.2" stArea:h="0.4" stArea:unit="normalized"/>
   </rdf:Description></rdf:li>"""


def main() -> None:
    ap = argparse.ArgumentParser(description="Write a scan-benchmark photo library.")
    ap.add_argument("--out", default="/tmp/cavendish-scan-bench")
    ap.add_argument("--photos", type=int, default=10000)
    args = ap.parse_args()
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    r = random.Random(2024)
    names = [f"Person {i:03d}" for i in range(400)]
    base = Image.new("RGB", (24, 24))
    per_folder = 100
    for start in range(0, args.photos, per_folder):
        folder = os.path.join(args.out, f"{2000 + start // 1200}", f"album-{start // per_folder:03d}")
        os.makedirs(folder, exist_ok=True)
        labels = {}
        for i in range(start, min(args.photos, start + per_folder)):
            name = f"IMG_{i:05d}.jpg"
            img = base.copy()
            img.paste((i % 251, (i * 7) % 253, (i * 13) % 255), (0, 0, 12, 24))
            img.paste((r.randrange(256), r.randrange(256), r.randrange(256)), (12, 0, 24, 24))
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=80)
            with open(os.path.join(folder, name), "wb") as f:
                f.write(buf.getvalue())
            who = r.sample(names, r.choice([1, 1, 2, 3]))
            kind = i % 4
            if kind in (0, 1):
                suffix = {0: ".supplemental-metadata.json", 1: ".suppl.json"}[i % 8 // 4] if kind == 0 else ".supplemental-metadata.json"
                sidecar = {"title": name, "photoTakenTime": {"timestamp": str(1_600_000_000 + i * 3600)},
                           "people": [{"name": n} for n in who]}
                with open(os.path.join(folder, name + suffix), "w") as f:
                    json.dump(sidecar, f)
            elif kind == 2:
                items = "\n".join(ITEM.format(name=n, x=0.2 + 0.3 * k) for k, n in enumerate(who))
                with open(os.path.join(folder, name + ".xmp"), "w") as f:
                    f.write(XMP.format(items=items))
            else:
                labels[name] = [{"name": n, "box": {"x": 0.1 + 0.3 * k, "y": 0.2, "w": 0.25, "h": 0.5}} for k, n in enumerate(who)]
        with open(os.path.join(folder, "labels.json"), "w") as f:
            json.dump({"version": 1, "photos": labels}, f)
    print(f"wrote {args.photos} photos to {args.out}")


if __name__ == "__main__":
    main()

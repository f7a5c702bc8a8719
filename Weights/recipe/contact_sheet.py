"""Write runs/contact_sheet.png (a grid of world renders with captions printed) and time the generator."""
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from PIL import Image, ImageDraw
from recipe import common, world

RUNS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runs")

if __name__ == "__main__":
    os.makedirs(RUNS, exist_ok=True)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    cols = 6
    sheet = Image.new("RGB", (cols * 128, ((n + cols - 1) // cols) * 160), (255, 255, 255))
    d = ImageDraw.Draw(sheet)
    for i in range(n):
        sc = world.sample_scene(i, "train")
        a, labels = world.render(sc)
        x, y = (i % cols) * 128, (i // cols) * 160
        sheet.paste(Image.fromarray(a), (x, y))
        for lab in labels:
            b = lab["box"]
            d.rectangle([x + b[0], y + b[1], x + b[2] - 1, y + b[3] - 1], outline=(255, 0, 255))
        cap = sc.captions[0]
        d.text((x + 1, y + 129), cap[:30], fill=(0, 0, 0))
        d.text((x + 1, y + 142), cap[30:60], fill=(0, 0, 0))
    common.atomic_write(os.path.join(RUNS, "contact_sheet.png"), lambda p: sheet.save(p, format="PNG"))
    refs = Image.new("RGB", (8 * 64, 4 * 64))
    for j in range(4):
        for k in range(8):
            kind = "person" if j < 3 else "pet"
            refs.paste(Image.fromarray(world.reference_photo(kind, "heldout", j, 1000 + k)), (k * 64, j * 64))
    common.atomic_write(os.path.join(RUNS, "reference_sheet.png"), lambda p: refs.save(p, format="PNG"))
    t = time.time(); m = 0
    while time.time() - t < 5:
        world.render(world.sample_scene(10_000 + m, "train")); m += 1
    print(f"{m / (time.time() - t):.1f} scenes/s (128x128, one core)")

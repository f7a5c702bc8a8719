"""Render Weights/glyph_atlas.h5 from DejaVu Sans Bold (fonts-dejavu-core). Run once; the file is committed."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import glyph

if __name__ == "__main__":
    glyph.make_atlas()
    print("wrote", os.path.normpath(glyph.ATLAS_PATH))

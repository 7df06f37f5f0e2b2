#!/usr/bin/env python3
"""Write the first MNIST test image of each label 0-9 as an 8-bit grey PNG.

Usage: scripts/export-digits.py [MNIST_DIR] [OUT_DIR]
(defaults: data/mnist and data/digits). Uses only Python's standard library.
The files are data/digits/LABEL.png; data/digits/README.md records which test
image each one is.
"""
import gzip
import struct
import sys
import zlib
from pathlib import Path


def read_idx(path):
    data = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    magic, = struct.unpack(">I", data[:4])
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return magic, shape, data[4 + 4 * dims:]


def write_png(path, pixels, width, height):
    rows = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
    path.write_bytes(png)


def main():
    mnist = Path(sys.argv[1] if len(sys.argv) > 1 else "data/mnist")
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "data/digits")
    _, (count, rows, cols), pixels = read_idx(mnist / "t10k-images-idx3-ubyte.gz")
    _, _, labels = read_idx(mnist / "t10k-labels-idx1-ubyte.gz")
    out.mkdir(parents=True, exist_ok=True)
    lines = ["# Real MNIST test digits", "",
             "The first image of each label in the MNIST test set (data/mnist), as 28x28 8-bit grey PNG,",
             "written by `scripts/export-digits.py`. MNIST: Y. LeCun and C. Cortes, CC BY-SA 3.0.", "",
             "| file | test image index |", "| --- | --- |"]
    for label in range(10):
        index = labels.index(label)
        size = rows * cols
        write_png(out / f"{label}.png", pixels[index * size:(index + 1) * size], cols, rows)
        lines.append(f"| {label}.png | {index} |")
    (out / "README.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

"""Hostile and unusual image files, made at test time (no binary fixtures).

Used by the CLI and binding tests of photos and to make the image fuzz
corpus: `python3 tests/images/make_images.py DIR` writes every small one
into DIR. PNGs are built with zlib/struct, so each chunk is exactly what a
test needs; JPEGs come from PIL (Debian's python3-pil), which the tests skip
without.

IMAGES maps a name to (bytes, what the library must do): "ok" (embedded),
or "refused" (a warning and a placeholder instead)."""
import io
import os
import struct
import sys
import zlib

SIG = b"\x89PNG\r\n\x1a\n"


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def ihdr(w, h, depth, ctype, interlace=0):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, interlace))


def png(w, h, ctype, depth, pixel, extra=b"", palette=None, interlace=0, idat=None):
    """A PNG of one colour: `pixel` is the bytes of one pixel (or, for
    depths below 8, of one row byte repeated)."""
    def rows(pw, ph):
        if depth < 8:
            row = pixel * ((pw * depth + 7) // 8)
        else:
            row = pixel * pw
        return b"".join(b"\0" + row for _ in range(ph))
    if idat is None:
        if interlace:
            raw = b""
            # Adam7: (x0, y0, dx, dy) of each pass
            for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
                                   (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)):
                pw = (w - x0 + dx - 1) // dx if w > x0 else 0
                ph = (h - y0 + dy - 1) // dy if h > y0 else 0
                if pw and ph:
                    raw += rows(pw, ph)
        else:
            raw = rows(w, h)
        idat = zlib.compress(raw, 9)
    out = SIG + ihdr(w, h, depth, ctype, interlace)
    if palette:
        out += chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    return out + extra + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def huge_header(w, h, ctype, extra=b""):
    """A valid-looking header over a tiny, short image stream."""
    return SIG + ihdr(w, h, 8, ctype) + extra + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


def pil_bytes(mode, size, colour, fmt, **kw):
    from PIL import Image
    b = io.BytesIO()
    Image.new(mode, size, colour).save(b, fmt, **kw)
    return b.getvalue()


RED = (200, 30, 40)


def pngs():
    half_black = bytearray()
    # 40×30 RGB, left half black (the tRNS colour), right half red
    for _ in range(30):
        half_black += b"\0" + b"\0\0\0" * 20 + bytes(RED) * 20
    trns_black = chunk(b"tRNS", b"\0\0\0\0\0\0")
    valid = png(120, 80, 2, 8, bytes(RED))
    return {
        # what PIL writes for transparency=(0,0,0): RGB with a tRNS colour
        "trns-40x30.png": (png(40, 30, 2, 8, bytes(RED), extra=trns_black), "ok"),
        "trns-visible.png": (png(40, 30, 2, 8, b"", extra=trns_black,
                                 idat=zlib.compress(bytes(half_black))), "ok"),
        "rgb.png": (valid, "ok"),
        "interlaced.png": (png(120, 80, 2, 8, bytes(RED), interlace=1), "ok"),
        "palette.png": (png(120, 80, 3, 8, b"\1", palette=[(0, 0, 0), RED]), "ok"),
        "palette4-trns.png": (png(120, 80, 3, 4, b"\x11", palette=[(0, 0, 0), RED],
                                  extra=chunk(b"tRNS", b"\xff\xff")), "ok"),
        "grey.png": (png(120, 80, 0, 8, b"\x80"), "ok"),
        "grey2.png": (png(120, 80, 0, 2, b"\xaa"), "ok"),
        "grey-alpha.png": (png(120, 80, 4, 8, b"\x80\xff"), "ok"),
        "grey-trns.png": (png(120, 80, 0, 8, b"\x80", extra=chunk(b"tRNS", b"\0\0")), "ok"),
        "rgba.png": (png(120, 80, 6, 8, bytes(RED) + b"\xff"), "ok"),
        "rgba-half.png": (png(120, 80, 6, 8, bytes(RED) + b"\x80"), "ok"),
        # 16-bit samples v·257 scale back to exactly v
        "rgb16.png": (png(120, 80, 2, 16, bytes(c for v in RED for c in (v, v))), "ok"),
        "rgba16-interlaced.png": (png(120, 80, 6, 16, bytes(c for v in RED + (255,) for c in (v, v)),
                                      interlace=1), "ok"),
        "truncated.png": (valid[:len(valid) // 2], "refused"),
        "no-iend.png": (valid[:-12], "refused"),
        # the last byte of the IDAT chunk's CRC flipped
        "bad-crc.png": (valid[:-13] + bytes([valid[-13] ^ 0xFF]) + valid[-12:], "refused"),
        "huge-100001.png": (huge_header(100001, 100001, 2), "refused"),
        "huge-2g.png": (huge_header(2**31 - 1, 2**31 - 1, 2), "refused"),
        "huge-wide.png": (huge_header(2**31 - 1, 1, 2), "refused"),
        "huge-rgba-20000.png": (huge_header(20000, 20000, 6), "refused"),
        "huge-trns-20000.png": (huge_header(20000, 20000, 2, extra=trns_black), "refused"),
        "zero-width.png": (huge_header(0, 10, 2), "refused"),
        "garbage.png": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "refused"),
        "empty.png": (b"", "refused"),
        "text.png": (b"this is not an image\n", "refused"),
    }


def jpegs():
    try:
        import PIL  # noqa: F401
    except ImportError:
        return {}
    rgb = pil_bytes("RGB", (120, 80), RED, "JPEG", quality=90)
    prog = pil_bytes("RGB", (120, 80), RED, "JPEG", quality=90, progressive=True)
    # a frame header claiming 65000 × 65000 pixels over the small image's data
    sof = rgb.find(b"\xff\xc0")
    huge = rgb[:sof + 5] + struct.pack(">HH", 65000, 65000) + rgb[sof + 9:]
    return {
        "rgb.jpg": (rgb, "ok"),
        "progressive.jpg": (prog, "ok"),
        "grey.jpg": (pil_bytes("L", (120, 80), 128, "JPEG"), "ok"),
        "cmyk.jpg": (pil_bytes("CMYK", (120, 80), (0, 215, 205, 55), "JPEG"), "ok"),
        "truncated.jpg": (rgb[:len(rgb) * 2 // 3], "refused"),
        "truncated-progressive.jpg": (prog[:len(prog) * 2 // 3], "refused"),
        "header-only.jpg": (rgb[:sof + 40], "refused"),
        "huge.jpg": (huge, "refused"),
    }


IMAGES = {**pngs(), **jpegs()}


def main(argv):
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    for name, (data, _) in sorted(IMAGES.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv)

"""Photos from the data through `lexport brief` (PDF, DOCX, XLSX): valid
images of every PNG/JPEG kind are embedded, damaged, truncated and huge ones
are refused with a warning and a placeholder, never a crash; libpng and
libjpeg print nothing. Image paths must resolve inside the data folder to a
regular file (issue 10, items 1 and 11). The images are made by
tests/images/make_images.py."""
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "images"))
import make_images  # noqa: E402

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
SRC = os.environ.get("LEXP_SOURCE_DIR", os.path.dirname(os.path.dirname(HERE)))
SAMPLE = os.path.join(SRC, "samples", "qinqu.json")
MONTH = "2024-09"
PHOTO = "photos/0920.png"  # the highlighted activity of September 2024
# every line a warning from lexport itself ("FILE: warning: …")
WARNING_LINE = re.compile(r"^[^\n]*: warning: ")


def brief(tmp_path, photo_rel, formats="pdf,docx,xlsx", timeout=20):
    d = json.load(open(SAMPLE, encoding="utf-8"))
    for a in d["activities"]:
        if a.get("photos") == [PHOTO]:
            a["photos"] = [photo_rel]
    (tmp_path / "data.json").write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    t0 = time.monotonic()
    r = subprocess.run([LEXPORT, "brief", str(tmp_path / "data.json"), "--month", MONTH,
                        "-f", formats, "-o", str(out)], capture_output=True, text=True,
                       timeout=timeout)
    r.seconds = time.monotonic() - t0
    r.out = out
    return r


def image_warnings(r):
    """The warnings about images; every stderr line must be one of ours."""
    lines = r.stderr.splitlines()
    stray = [ln for ln in lines if not WARNING_LINE.match(ln)]
    assert not stray, "output not from lexport's warnings: %r" % stray
    return [ln for ln in lines if "image" in ln]


def pdf_images(pdf):
    r = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                       check=True)
    rows = [ln.split() for ln in r.stdout.splitlines()[2:]]
    return [{"type": c[2], "width": int(c[3]), "height": int(c[4]), "color": c[5],
             "bpc": int(c[7])} for c in rows]


def check_pdf(pdf):
    q = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
    assert q.returncode == 0, q.stdout + q.stderr
    t = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    assert "民族团结" in t.stdout  # the briefing is all there, not just the photo
    if shutil.which("gs"):
        g = subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=nullpage",
                            str(pdf)], capture_output=True, text=True)
        assert g.returncode == 0 and not (g.stdout + g.stderr).strip(), g.stdout + g.stderr


def rendered_colours(pdf):
    """Pixel colours of every page at 36 dpi, with their counts."""
    r = subprocess.run(["pdftoppm", "-r", "36", str(pdf)], capture_output=True,
                       check=True)
    counts = collections.Counter()
    data = r.stdout
    while data:
        # P6\nW H\n255\n then W*H*3 bytes, page after page
        magic, dims, maxval, rest = data.split(b"\n", 3)
        w, h = map(int, dims.split())
        px, data = rest[:w * h * 3], rest[w * h * 3:]
        counts.update(px[i:i + 3] for i in range(0, len(px), 3))
    return counts


def near(counts, want, tol=12):
    return sum(n for c, n in counts.items() if all(abs(a - b) <= tol for a, b in zip(c, want)))


def docx_media(docx):
    with zipfile.ZipFile(docx) as z:
        assert z.testzip() is None
        return {n: z.read(n) for n in z.namelist() if n.startswith("word/media/")}


def check_docx_xlsx(out):
    import docx
    import openpyxl
    docx.Document(str(out / f"briefing-{MONTH}.docx"))
    wb = openpyxl.load_workbook(str(out / f"briefing-{MONTH}.xlsx"))
    assert wb.worksheets


# The colour each valid image shows on the page (None: not checked by colour).
COLOUR = {"grey.png": (128, 128, 128), "grey2.png": (170, 170, 170),
          "grey-alpha.png": (128, 128, 128), "grey-trns.png": (128, 128, 128),
          "grey.jpg": (128, 128, 128), "trns-40x30.png": make_images.RED,
          "rgba-half.png": None, "trns-visible.png": None}


@pytest.mark.parametrize("name", sorted(make_images.IMAGES))
def test_image_through_brief(tmp_path, name):
    data, verdict = make_images.IMAGES[name]
    os.makedirs(tmp_path / "photos")
    (tmp_path / "photos" / name).write_bytes(data)
    r = brief(tmp_path, "photos/" + name)
    assert r.returncode == 0, (r.returncode, r.stderr)
    warned = image_warnings(r)
    pdf, docx_file = r.out / f"briefing-{MONTH}.pdf", r.out / f"briefing-{MONTH}.docx"
    check_pdf(pdf)
    check_docx_xlsx(r.out)
    images = pdf_images(pdf)
    media = docx_media(docx_file)
    if verdict == "ok":
        assert not warned, warned
        assert images, "no image in the PDF"
        assert list(media.values()) == [data]  # the original bytes, as they were
        want = COLOUR.get(name, make_images.RED)
        if want is not None:
            counts = rendered_colours(pdf)
            assert near(counts, want) > 300, (want, counts.most_common(5))
    else:
        # one warning per output that shows photos, naming the file
        assert warned and all("photos/" + name in w for w in warned), r.stderr
        assert any("placeholder" in w for w in warned), warned
        assert not images, images
        assert not media
        assert placeholder_boxes(pdf) == 1


def test_transparency_becomes_a_soft_mask(tmp_path):
    """The tRNS colour of an RGB PNG is transparent in the PDF: an SMask
    beside the RGB image, and the black half does not show."""
    os.makedirs(tmp_path / "photos")
    data, _ = make_images.IMAGES["trns-visible.png"]
    (tmp_path / "photos" / "t.png").write_bytes(data)
    r = brief(tmp_path, "photos/t.png", formats="pdf")
    assert r.returncode == 0 and not image_warnings(r), r.stderr
    images = pdf_images(r.out / f"briefing-{MONTH}.pdf")
    assert sorted((i["type"], i["color"], i["width"], i["height"], i["bpc"]) for i in images) == \
        [("image", "rgb", 40, 30, 8), ("smask", "gray", 40, 30, 8)], images
    counts = rendered_colours(r.out / f"briefing-{MONTH}.pdf")
    assert near(counts, make_images.RED) > 50
    assert near(counts, (0, 0, 0), tol=20) < near(counts, make_images.RED) / 4


def test_opaque_images_have_no_mask(tmp_path):
    os.makedirs(tmp_path / "photos")
    (tmp_path / "photos" / "a.png").write_bytes(make_images.IMAGES["rgba.png"][0])
    r = brief(tmp_path, "photos/a.png", formats="pdf")
    assert r.returncode == 0
    assert [i["type"] for i in pdf_images(r.out / f"briefing-{MONTH}.pdf")] == ["image"]


def test_interlaced_png_has_every_pixel(tmp_path):
    """Adam7 passes are merged: the image is 120 × 80 and all red."""
    os.makedirs(tmp_path / "photos")
    (tmp_path / "photos" / "i.png").write_bytes(make_images.IMAGES["interlaced.png"][0])
    r = brief(tmp_path, "photos/i.png", formats="pdf")
    assert r.returncode == 0 and not image_warnings(r), r.stderr
    img = pdf_images(r.out / f"briefing-{MONTH}.pdf")
    assert [(i["width"], i["height"], i["color"]) for i in img] == [(120, 80, "rgb")]


def test_huge_header_is_refused_before_allocating(tmp_path):
    """A 20000 × 20000 RGBA header would need 1.6 GB: refused at once,
    naming the size and the limit."""
    os.makedirs(tmp_path / "photos")
    (tmp_path / "photos" / "h.png").write_bytes(make_images.IMAGES["huge-rgba-20000.png"][0])
    r = brief(tmp_path, "photos/h.png")
    assert r.returncode == 0
    w = image_warnings(r)
    assert any("20000 × 20000" in x and "limit" in x for x in w), w
    assert r.seconds < 5


def test_same_bytes_twice(tmp_path):
    os.makedirs(tmp_path / "photos")
    (tmp_path / "photos" / "t.png").write_bytes(make_images.IMAGES["trns-visible.png"][0])
    a = brief(tmp_path, "photos/t.png", formats="pdf")
    first = (a.out / f"briefing-{MONTH}.pdf").read_bytes()
    b = brief(tmp_path, "photos/t.png", formats="pdf")
    assert (b.out / f"briefing-{MONTH}.pdf").read_bytes() == first


# ---- item 11: where an image path leads --------------------------------------------------

def valid_png():
    return make_images.IMAGES["rgb.png"][0]


def refused(r, rel, words):
    assert r.returncode == 0, r.stderr
    w = image_warnings(r)
    assert w and all(rel in x for x in w), r.stderr
    assert any(words in x for x in w), w
    assert not pdf_images(r.out / f"briefing-{MONTH}.pdf")
    assert placeholder_boxes(r.out / f"briefing-{MONTH}.pdf") == 1
    assert not docx_media(r.out / f"briefing-{MONTH}.docx")
    assert r.seconds < 10


def test_symlink_to_a_file_outside_is_refused(tmp_path):
    outside = tmp_path.parent / (tmp_path.name + "-outside")
    outside.mkdir()
    (outside / "secret.png").write_bytes(valid_png())
    os.makedirs(tmp_path / "photos")
    os.symlink(outside / "secret.png", tmp_path / "photos" / "x.png")
    refused(brief(tmp_path, "photos/x.png"), "photos/x.png", "outside the data folder")


def test_symlinked_folder_outside_is_refused(tmp_path):
    outside = tmp_path.parent / (tmp_path.name + "-outside")
    outside.mkdir()
    (outside / "x.png").write_bytes(valid_png())
    os.symlink(outside, tmp_path / "photos")
    refused(brief(tmp_path, "photos/x.png"), "photos/x.png", "outside the data folder")


def test_fifo_does_not_block(tmp_path):
    os.makedirs(tmp_path / "photos")
    os.mkfifo(tmp_path / "photos" / "x.png")
    refused(brief(tmp_path, "photos/x.png"), "photos/x.png", "not a regular file")


def test_symlink_to_dev_zero_is_refused(tmp_path):
    os.makedirs(tmp_path / "photos")
    os.symlink("/dev/zero", tmp_path / "photos" / "x.png")
    refused(brief(tmp_path, "photos/x.png"), "photos/x.png", "outside the data folder")


def test_directory_is_refused(tmp_path):
    os.makedirs(tmp_path / "photos" / "x.png")
    refused(brief(tmp_path, "photos/x.png"), "photos/x.png", "not a regular file")


def test_missing_file_is_a_warning(tmp_path):
    os.makedirs(tmp_path / "photos")
    refused(brief(tmp_path, "photos/none.png"), "photos/none.png", "cannot open")


def test_symlink_inside_the_folder_is_followed(tmp_path):
    os.makedirs(tmp_path / "photos")
    os.makedirs(tmp_path / "originals")
    (tmp_path / "originals" / "real.png").write_bytes(valid_png())
    os.symlink("../originals/real.png", tmp_path / "photos" / "x.png")
    r = brief(tmp_path, "photos/x.png")
    assert r.returncode == 0 and not image_warnings(r), r.stderr
    assert len(pdf_images(r.out / f"briefing-{MONTH}.pdf")) == 1
    assert list(docx_media(r.out / f"briefing-{MONTH}.docx").values()) == [valid_png()]


def test_data_folder_reached_through_a_symlink(tmp_path):
    """The data folder itself may be a symlink; images inside it stay fine."""
    real = tmp_path / "real"
    os.makedirs(real / "photos")
    (real / "photos" / "x.png").write_bytes(valid_png())
    os.symlink(real, tmp_path / "link")
    r = brief(tmp_path / "link", "photos/x.png")
    assert r.returncode == 0 and not image_warnings(r), r.stderr
    assert len(pdf_images(r.out / f"briefing-{MONTH}.pdf")) == 1


def test_oversized_file_is_refused(tmp_path):
    """A file over the 32 MB image file limit is not read at all."""
    os.makedirs(tmp_path / "photos")
    with open(tmp_path / "photos" / "big.png", "wb") as f:
        f.write(valid_png())
        f.truncate(33 * 1024 * 1024)
    refused(brief(tmp_path, "photos/big.png"), "photos/big.png", "32 MB")


def placeholder_boxes(pdf):
    """Grey boxes crossed by their two diagonals, counted in the page
    content (uncompressed by qpdf)."""
    r = subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(pdf), "-"],
                       capture_output=True, check=True)
    text = r.stdout.decode("latin-1")
    n, grey = r"(-?[\d.]+)", r"0\.50196 0\.50196 0\.50196 RG\s+"
    line = r"[\d.]+ w\s+" + grey + f"{n} {n} m\\s+{n} {n} l\\s+S\\s+"
    box = re.compile(grey + f"{n} {n} {n} {n} re\\s+S\\s+" + line + line)
    count = 0
    for m in box.finditer(text):
        x, y, w, h, *ends = map(float, m.groups())
        corners = {(round(x), round(y)), (round(x + w), round(y + h)),
                   (round(x), round(y + h)), (round(x + w), round(y))}
        pts = {(round(ends[i]), round(ends[i + 1])) for i in range(0, 8, 2)}
        count += pts == corners
    return count

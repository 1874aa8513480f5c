"""DOCX container: how the parts are zipped (render/docx_zip.c, util/zipsrc.c).

Parts of 4096 bytes or more are deflated by libdeflate and handed to libzip
already compressed; smaller parts and pictures are stored. Checked with
Python's zipfile and zlib (not libzip), on the raw bytes of the archive:

- every part of 4096 B or more (not a picture) is DEFLATE and smaller than
  its content, every other entry is stored with both sizes equal;
- each DEFLATE stream inflates (raw, wbits -15) to exactly the member's
  content, with nothing after its end, and the CRC-32 is the content's;
- each local header says what the central directory says (method, CRC,
  sizes, time), with no data descriptor;
- entries come in package order, all with the document's date;
- zipfile's testzip, `unzip -t` and python-docx accept the package;
- a 3,000-row table (a document.xml of megabytes) goes the same way.

Environment: LEXPORT (the program), LEXP_SOURCE_DIR (the source tree).
"""
import json
import os
import shutil
import struct
import subprocess
import zipfile
import zlib

import pytest

LEXPORT = os.environ.get("LEXPORT")
SRC = os.environ.get("LEXP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(SRC, "samples", "qinqu.json")
SHOWCASE = os.path.join(SRC, "tests", "render", "showcase.lxt")
STORE_BELOW = 4096

if not LEXPORT:
    pytest.skip("LEXPORT is not set", allow_module_level=True)

ORDER = ["[Content_Types].xml", "_rels/.rels", "docProps/core.xml", "docProps/app.xml",
         "word/document.xml", "word/_rels/document.xml.rels", "word/styles.xml",
         "word/settings.xml", "word/fontTable.xml", "word/footer", "word/charts/", "word/media/"]

LONG_TABLE = """---
preset: plain
title: 长表
---
| 日期 | 类别 | 活动名称 | 地点 | 参与人次 |
|------|------|----------|------|---------:|
{% for a in activities %}
| {{ a.date }} | {{ a.category }} | {{ a.title }} | {{ a.location }} | {{ a.participants }} |
{% endfor %}
"""


def rank(name):
    for i, p in enumerate(ORDER):
        if name.startswith(p):
            return i
    return len(ORDER)


def render(args, out):
    r = subprocess.run([LEXPORT] + args + ["-o", out], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("docxzip")
    got = {}
    render(["brief", DATA, "--month", "2024-09", "-f", "docx"], str(tmp))
    got["briefing"] = (str(tmp / "briefing-2024-09.docx"), (2024, 9, 30))
    got["showcase"] = (render(["render", SHOWCASE, DATA, "--month", "2024-09"],
                              str(tmp / "showcase.docx")), (2024, 9, 30))
    got["stats"] = (render(["render", "stats", DATA, "--period", "2024", "-f", "docx"],
                           str(tmp / "stats.docx")), (2024, 12, 31))
    data = json.load(open(DATA, encoding="utf-8"))
    acts = [a for a in data["activities"] if a["date"].startswith("2024-09")]
    data["activities"] = [dict(acts[i % len(acts)], title=f"{acts[i % len(acts)]['title']}{i}")
                          for i in range(3000)]
    (tmp / "long.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    (tmp / "long.lxt").write_text(LONG_TABLE, encoding="utf-8")
    got["long"] = (render(["render", str(tmp / "long.lxt"), str(tmp / "long.json"),
                           "--month", "2024-09", "-f", "docx"], str(tmp / "long.docx")),
                   (2024, 9, 30))
    return got


@pytest.fixture(params=["briefing", "showcase", "stats", "long"])
def pkg(request, packages):
    return packages[request.param]


def test_methods_by_size(pkg):
    path, _ = pkg
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None  # every CRC checked
        deflated = 0
        for i in z.infolist():
            if i.file_size >= STORE_BELOW and not i.filename.startswith("word/media/"):
                assert i.compress_type == zipfile.ZIP_DEFLATED, i.filename
                assert i.compress_size < i.file_size, i.filename
                deflated += 1
            else:
                assert i.compress_type == zipfile.ZIP_STORED, i.filename
                assert i.compress_size == i.file_size, i.filename
        assert deflated >= 1  # document.xml or styles.xml at least


def test_streams_inflate_exactly(pkg):
    path, _ = pkg
    raw = open(path, "rb").read()
    with zipfile.ZipFile(path) as z:
        for i in z.infolist():
            content = z.read(i)
            assert zlib.crc32(content) == i.CRC, i.filename
            sig, _ver, flags, method, dtime, ddate, crc, csize, usize, nlen, elen = struct.unpack(
                "<IHHHHHIIIHH", raw[i.header_offset:i.header_offset + 30])
            assert sig == 0x04034B50
            assert flags & 0x8 == 0, i.filename  # sizes in the local header, no descriptor
            assert (method, crc, csize, usize) == (i.compress_type, i.CRC, i.compress_size,
                                                   i.file_size), i.filename
            name = raw[i.header_offset + 30:i.header_offset + 30 + nlen].decode("utf-8")
            assert name == i.filename
            start = i.header_offset + 30 + nlen + elen
            data = raw[start:start + i.compress_size]
            if method == zipfile.ZIP_DEFLATED:
                d = zlib.decompressobj(-15)
                out = d.decompress(data) + d.flush()
                assert d.eof and not d.unused_data, i.filename
                assert out == content, i.filename
            else:
                assert data == content, i.filename


def test_order_and_date(pkg):
    path, date = pkg
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
    names = [i.filename for i in infos]
    assert names[0] == "[Content_Types].xml"
    assert [rank(n) for n in names] == sorted(rank(n) for n in names)
    assert len(set(names)) == len(names)
    assert all(i.date_time == date + (0, 0, 0) for i in infos)


def test_readers_accept(pkg):
    path, _ = pkg
    if shutil.which("unzip"):
        r = subprocess.run(["unzip", "-tq", path], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
    docx = pytest.importorskip("docx")
    d = docx.Document(path)
    assert d.paragraphs or d.tables


def test_long_table_is_deflated(packages):
    path, _ = packages["long"]
    with zipfile.ZipFile(path) as z:
        doc = z.getinfo("word/document.xml")
        assert doc.file_size > 1_000_000
        assert doc.compress_size * 8 < doc.file_size  # repetitive XML deflates well
        import docx
        t = docx.Document(path).tables
        assert t and len(t[0].rows) == 3001
        assert t[0].rows[3000].cells[2].text.endswith("2999")

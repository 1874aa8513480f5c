"""The Python bindings: every format read back by an independent reader,
errors, threads, memory over 10,000 renders, library lookup and offline
installation. CTest sets LIBEXPORT_LIBRARY to the library just built."""
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
SRC = os.environ.get("LEXP_SOURCE_DIR", os.path.dirname(os.path.dirname(PKG)))
sys.path.insert(0, PKG)

import libexport  # noqa: E402

SAMPLE = os.path.join(SRC, "samples", "qinqu.json")
DATA = json.load(open(SAMPLE, encoding="utf-8"))
MONTH = "2024-09"


def pdftext(pdf: bytes) -> str:
    r = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return r.stdout.decode("utf-8")


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


# ---- basics --------------------------------------------------------------------

def test_version_matches_package_and_program():
    pyproject = open(os.path.join(PKG, "pyproject.toml"), encoding="utf-8").read()
    assert f'version = "{libexport.version()}"' in pyproject
    lx = os.environ.get("LEXPORT")
    if lx:
        assert libexport.version() in subprocess.run([lx, "--version"], capture_output=True,
                                                     text=True).stdout


def test_templates():
    names = [n for n, _ in libexport.templates()]
    assert names == sorted(["briefing", "summary", "deeds", "plan", "report", "stats"])
    assert all(d for _, d in libexport.templates())


def test_data_as_dict_path_or_bytes_gives_the_same_document():
    a = libexport.render("briefing", DATA, "txt", month=MONTH)
    b = libexport.render("briefing", SAMPLE, "txt", month=MONTH, base_dir=os.path.dirname(SAMPLE))
    c = libexport.render("briefing", json.dumps(DATA).encode(), "txt", month=MONTH)
    assert a == b == c
    assert "第9期" in a.decode() and "秦渠社区" in a.decode()


# ---- every format, read back independently ---------------------------------------

def test_pdf_round_trip():
    pdf = libexport.render("briefing", SAMPLE, "pdf", month=MONTH)
    assert pdf.startswith(b"%PDF-")
    txt = libexport.render("briefing", SAMPLE, "txt", month=MONTH).decode()
    got = squash(pdftext(pdf))
    for line in txt.splitlines():
        if line.strip() and not re.fullmatch(r"[- ]+", line):
            for piece in line.split():
                # the txt output marks a picture "[图：caption]"; the PDF has the caption
                piece = re.sub(r"^\[图(?:表)?：(.*)\]$", r"\1", piece)
                assert piece.replace("…", "") in got, piece


def test_docx_round_trip():
    docx = pytest.importorskip("docx")
    data = libexport.render("briefing", SAMPLE, "docx", month=MONTH)
    doc = docx.Document(io.BytesIO(data))
    # the 报尾 sits in a text box at the page foot, which doc.paragraphs skips
    from docx.text.paragraph import Paragraph
    boxed = [Paragraph(p, doc) for p in doc.element.body.xpath(".//w:txbxContent//w:p")]
    text = squash("".join(p.text for p in doc.paragraphs + boxed) +
                  "".join(c.text for t in doc.tables for r in t.rows for c in r.cells))
    for needle in ["民族团结工作简报", "第9期", "秦渠社区居委会", "活动开展情况", "工作亮点", "共印30份"]:
        assert needle in text


def test_xlsx_round_trip():
    openpyxl = pytest.importorskip("openpyxl")
    data = libexport.render("briefing", SAMPLE, "xlsx", month=MONTH)
    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    assert "活动台账" in wb.sheetnames and "分类统计" in wb.sheetnames
    acts = [a for a in DATA["activities"] if a["date"].startswith(MONTH)]
    values = [c for row in wb["分类统计"].iter_rows(values_only=True) for c in row]
    assert len(acts) in values and sum(a["participants"] for a in acts) in values


@pytest.mark.parametrize("template", ["briefing", "summary", "deeds", "plan", "report", "stats"])
@pytest.mark.parametrize("fmt", ["pdf", "docx", "txt"])
def test_every_template_renders(template, fmt):
    out = libexport.render(template, SAMPLE, fmt, month=MONTH)
    assert len(out) > 200


def test_render_file_and_no_clobber(tmp_path):
    p = libexport.render_file("summary", SAMPLE, tmp_path / "s.docx", month=MONTH)
    assert zipfile.is_zipfile(p)
    keep = tmp_path / "keep.txt"
    keep.write_text("old")
    bad = tmp_path / "bad.lxt"
    bad.write_text("{{ community.name | nosuch }}\n", encoding="utf-8")
    with pytest.raises(libexport.Error):
        libexport.render_file(bad, SAMPLE, keep)
    assert keep.read_text() == "old"
    with pytest.raises(libexport.Error, match="cannot tell the format"):
        libexport.render_file("summary", SAMPLE, tmp_path / "s.odt")


LONG = """---
preset: plain
title: t
show_title: false
---
| 序号 | 日期 | 类别 | 名称 | 人次 |
|-----:|------|------|------|-----:|
{% for x in a %}
{% for y in b %}
{% set i = x * 1000 + y + 1 %}
| {{ i }} | 2024-09-{{ days[i % 30] }} | {{ cats[i % 5] }} | 活动{{ i }} | {{ (i * 7919) % 300 }} |
{% endfor %}
{% endfor %}
Table: data
"""

# One render_file of `rows` thousand rows in a fresh interpreter; its max RSS in KB.
LONG_CHILD = """
import resource, sys
sys.path.insert(0, sys.argv[1])
import libexport
rows, out, tpl = int(sys.argv[2]), sys.argv[3], sys.argv[4]
data = {"a": list(range(rows)), "b": list(range(1000)),
        "days": [f"{k:02d}" for k in range(1, 31)], "cats": list("ABCDE")}
libexport.render_file(tpl, data, out)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


@pytest.mark.parametrize("ext", ["xlsx", "docx"])
def test_render_file_of_a_long_table_in_flat_memory(tmp_path, ext):
    if os.environ.get("LD_PRELOAD", "").find("asan") >= 0:
        pytest.skip("memory is not comparable under AddressSanitizer")
    tpl = tmp_path / "long.lxt"
    tpl.write_text(LONG, encoding="utf-8")
    rss = {}
    for rows in (20, 600):
        out = tmp_path / f"o{rows}.{ext}"
        r = subprocess.run([sys.executable, "-c", LONG_CHILD, PKG, str(rows), str(out), str(tpl)],
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        rss[rows] = int(r.stdout.split()[-1])
        assert zipfile.ZipFile(out).testzip() is None
    # 20,000 and 600,000 rows within 4 MB of each other (through memory, the
    # 600,000-row workbook and document, 18 and 13 MB, were held twice: in
    # the library's buffer and in Python's bytes)
    assert rss[600] - rss[20] < 4096, rss


def test_brief(tmp_path):
    paths = libexport.brief(SAMPLE, MONTH, tmp_path / "out")
    assert [os.path.basename(p) for p in paths] == [f"briefing-{MONTH}.{f}" for f in ("pdf", "docx", "xlsx")]
    assert all(os.path.getsize(p) > 1000 for p in paths)
    one = libexport.brief(DATA, MONTH, tmp_path / "txt", formats=["txt"])
    assert open(one[0], encoding="utf-8").read() == libexport.render("briefing", DATA, "txt", month=MONTH).decode()


# ---- errors ------------------------------------------------------------------------------

def test_template_error_has_position(tmp_path):
    t = tmp_path / "t.lxt"
    t.write_text("第一行\n{% for a in activities %}\n", encoding="utf-8")
    with pytest.raises(libexport.Error) as e:
        libexport.render(t, DATA, "txt")
    assert e.value.line == 2 and e.value.column == 1 and e.value.file.endswith("t.lxt")
    assert "never closed" in e.value.message


def test_data_error_has_path(tmp_path):
    t = tmp_path / "t.lxt"
    t.write_text('{{ activities | sum("participants") }}\n', encoding="utf-8")
    bad = json.loads(json.dumps(DATA))
    bad["activities"][3]["participants"] = "很多"
    with pytest.raises(libexport.Error) as e:
        libexport.render(t, bad, "txt")
    assert e.value.path == "activities[3].participants"
    assert e.value.line == 1


def test_json_syntax_error(tmp_path):
    with pytest.raises(libexport.Error) as e:
        libexport.render("briefing", b'{"community": {"name": "x",}}', "txt")
    assert e.value.line == 1 and e.value.column


def test_brief_errors(tmp_path):
    with pytest.raises(libexport.Error, match="YYYY-MM"):
        libexport.brief(DATA, "2024-13", tmp_path)
    with pytest.raises(libexport.Error, match="outside the data"):
        libexport.brief(DATA, "2030-01", tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_check():
    assert libexport.check(SAMPLE) == []
    bad = json.loads(json.dumps(DATA))
    bad["disputes"][0]["resolved"] = 99
    bad["community"].pop("name")
    problems = libexport.check(bad)
    assert sorted(p.path for p in problems) == ["community.name", "disputes[0].resolved"]
    assert all(isinstance(p, libexport.Error) for p in problems)


def test_unknown_format_and_role():
    with pytest.raises(libexport.Error, match="unknown format"):
        libexport.render("briefing", DATA, "odt")
    with pytest.raises(libexport.Error, match="unknown font role"):
        libexport.render("briefing", DATA, "txt", fonts={"comic": "/x.ttf"})


def test_bad_data_type():
    with pytest.raises(TypeError):
        libexport.render("briefing", 42, "txt")


# ---- threads and memory ----------------------------------------------------------------------

def test_eight_threads_render_at_once():
    formats = ["txt", "pdf", "docx", "xlsx"]
    want = {f: libexport.render("briefing", DATA, f, month=MONTH) for f in formats}
    results, errors = [], []

    def work(k):
        try:
            for i in range(12):
                f = formats[(k + i) % 4]
                results.append(libexport.render("briefing", DATA, f, month=MONTH) == want[f])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 96 and all(results)


def rss_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_ten_thousand_renders_keep_memory_flat():
    formats = ["txt", "pdf", "docx", "xlsx"]
    for i in range(1000):  # warm-up: caches, allocator arenas
        libexport.render("briefing", DATA, formats[i % 4], month=MONTH)
    base = rss_kb()
    for i in range(9000):
        libexport.render("briefing", DATA, formats[i % 4], month=MONTH)
    end = rss_kb()
    assert end <= base * 1.05, f"RSS grew from {base} kB to {end} kB"


# ---- finding and installing the library ----------------------------------------------------------

def test_clear_error_when_library_is_missing(tmp_path):
    code = ("import sys; sys.path.insert(0, %r)\nimport libexport\n"
            "try:\n    libexport.version()\nexcept libexport.LibraryNotFound as e:\n"
            "    print('MISSING', e.message)\n") % PKG
    env = dict(os.environ, LIBEXPORT_LIBRARY=str(tmp_path / "nope.so"))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.stdout.startswith("MISSING") and "LIBEXPORT_LIBRARY" in r.stdout


def test_offline_pip_install(tmp_path):
    venv = tmp_path / "venv"
    r = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("python3-venv is not installed: " + r.stderr.strip()[:200])
    pip = venv / "bin" / "pip"
    src = tmp_path / "src"
    shutil.copytree(PKG, src, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    env = dict(os.environ, PIP_NO_INDEX="1")
    env["LIBEXPORT_LIBRARY"] = libexport.library_path()  # bundled into the wheel
    r = subprocess.run([str(pip), "install", "--no-index", str(src)], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    env.pop("LIBEXPORT_LIBRARY")
    code = ("import libexport; print(libexport.library_path()); "
            "print(len(libexport.render('plan', %r, 'txt', month='2024-09')))" % SAMPLE)
    r = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True,
                       env=env, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    lib, size = r.stdout.split()
    assert lib.startswith(str(venv)) and int(size) > 100


# ---- periods and missing inputs ----------------------------------------------------

def test_period_option(tmp_path):
    t = tmp_path / "p.lxt"
    t.write_text("{{ period.label }} {{ period.end }}\n", encoding="utf-8")
    assert libexport.render(t, SAMPLE, "txt", period="2024-Q3").decode().strip() == "2024年第三季度 2024-09-30"
    assert libexport.render("briefing", SAMPLE, "txt", period="2024-09") == \
        libexport.render("briefing", SAMPLE, "txt", month="2024-09")


def test_missing_period_is_an_error():
    with pytest.raises(libexport.Error) as e:
        libexport.render("briefing", {}, "txt")
    assert "needs a period" in e.value.message
    with pytest.raises(libexport.Error) as e:
        libexport.render("briefing", {"community": {"name": ""}}, "txt", month="2024-09")
    assert e.value.path == "community.name"


def test_strict_option(tmp_path):
    t = tmp_path / "t.lxt"
    t.write_text("{{ community.nme }}\n", encoding="utf-8")
    seen = []
    libexport.render(t, DATA, "txt", on_warning=seen.append)
    assert seen and "did you mean community.name" in seen[0].message and seen[0].line == 1
    with pytest.raises(libexport.Error) as e:
        libexport.render(t, DATA, "txt", strict=True)
    assert "nme" in e.value.message and e.value.line == 1

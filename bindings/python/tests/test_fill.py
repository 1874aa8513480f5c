"""libexport.fill: office templates from Python, round trips through
python-docx and openpyxl, errors as libexport.Error, atomic writes, threads.
CTest sets LIBEXPORT_LIBRARY to the library just built."""
import io
import os
import sys
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
SRC = os.environ.get("LEXP_SOURCE_DIR", os.path.dirname(os.path.dirname(PKG)))
sys.path.insert(0, PKG)
sys.path.insert(0, os.path.join(SRC, "tests", "fill"))

import libexport  # noqa: E402

docx = pytest.importorskip("docx")
openpyxl = pytest.importorskip("openpyxl")
import make_templates as mt  # noqa: E402

SAMPLE = os.path.join(SRC, "samples", "qinqu.json")


def test_fill_docx_round_trip(tmp_path):
    tpl = mt.form_docx(str(tmp_path / "form.docx"))
    out = libexport.fill(tpl, SAMPLE, month="2024-09")
    d = docx.Document(io.BytesIO(out))
    assert d.paragraphs[0].text == "社区：秦渠社区"
    assert d.sections[0].footer.paragraphs[0].text == "第9期"


def test_fill_xlsx_with_a_dict_and_a_path(tmp_path):
    tpl = mt.typed_xlsx(str(tmp_path / "t.xlsx"))
    data = {"community": {"name": "测试社区", "population": 5, "ethnic_groups": []}}
    target = tmp_path / "out.xlsx"
    out = libexport.fill(tpl, data, target)
    assert target.read_bytes() == out
    ws = openpyxl.load_workbook(target).active
    assert (ws["A1"].value, ws["A3"].value) == (5, "测试社区")


def test_fill_from_bytes_needs_a_name(tmp_path):
    raw = open(mt.simple_docx(str(tmp_path / "a.docx"), "{{ community.name }}"), "rb").read()
    out = libexport.fill(raw, SAMPLE, name="a.docx")
    assert docx.Document(io.BytesIO(out)).paragraphs[0].text == "秦渠社区"
    with pytest.raises(libexport.Error):
        libexport.fill(raw, SAMPLE)


def test_fill_errors_carry_positions_and_write_nothing(tmp_path):
    tpl = mt.simple_docx(str(tmp_path / "bad.docx"), "ok", "{{ community.name | nope }}")
    target = tmp_path / "out.docx"
    target.write_bytes(b"keep")
    with pytest.raises(libexport.Error) as e:
        libexport.fill(tpl, SAMPLE, target)
    assert (e.value.line, e.value.column) == (2, 21)
    assert e.value.file == tpl and e.value.message.startswith("word/document.xml: unknown filter")
    assert target.read_bytes() == b"keep"
    with pytest.raises(libexport.Error):
        libexport.fill(tpl, SAMPLE, tmp_path / "out.xlsx")  # wrong type for the output
    with pytest.raises(libexport.Error) as e:
        libexport.fill(str(tmp_path / "missing.docx"), SAMPLE)
    assert e.value.code == -4


def test_fill_in_threads_gives_the_same_bytes(tmp_path):
    tpl = mt.table_docx(str(tmp_path / "t.docx"))
    ref = libexport.fill(tpl, SAMPLE)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(libexport.fill(tpl, SAMPLE))
        except Exception as ex:  # noqa: BLE001 - reported below
            errors.append(ex)
    th = [threading.Thread(target=work) for _ in range(6)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    assert not errors and len(results) == 30 and all(r == ref for r in results)


def test_fill_takes_a_period_as_render_does(tmp_path):
    """fill(period=) sets the period variables, as --period does for the CLI."""
    tpl = mt.simple_docx(str(tmp_path / "p.docx"),
                         "{{ period.kind }}|{{ period.label }}|{{ period.date }}")
    out = libexport.fill(tpl, SAMPLE, period="2024-Q3")
    assert docx.Document(io.BytesIO(out)).paragraphs[0].text == \
        "quarter|2024年第三季度|2024-09-30"
    with pytest.raises(libexport.Error):
        libexport.fill(tpl, SAMPLE, period="2024-Q5")


def _docx_saying(path, text):
    d = docx.Document()
    d.add_paragraph(text)
    d.save(path)


def test_fill_sees_a_template_changed_on_disk(tmp_path):
    """fill() keeps prepared templates in the library's engine: a file
    rewritten (new size or modification time) is read again, and bytes
    under one name are compared, not trusted."""
    tpl = str(tmp_path / "changing.docx")
    for i, (text, want) in enumerate([("{{ community.name }}：一", "秦渠社区：一"),
                                      ("{{ community.name }}：一", "秦渠社区：一"),
                                      ("第二版 {{ community.name }}", "第二版 秦渠社区"),
                                      ("第三版 {{ community.name }}", "第三版 秦渠社区")]):
        if i != 1:  # the second fill uses what the engine kept
            _docx_saying(tpl, text)
            os.utime(tpl, (1_000_000_000 + i, 1_000_000_000 + i))
        out = libexport.fill(tpl, SAMPLE, month="2024-09")
        assert docx.Document(io.BytesIO(out)).paragraphs[0].text == want
        with open(tpl, "rb") as f:
            assert out == libexport.fill(f.read(), SAMPLE, name="changing.docx", month="2024-09")

    wb = openpyxl.Workbook()
    for i, text in enumerate(["{{ community.name }} A", "{{ community.name }} B"]):
        wb.active["A1"] = text
        buf = io.BytesIO()
        wb.save(buf)
        out = libexport.fill(buf.getvalue(), SAMPLE, name="same-name.xlsx")
        ws = openpyxl.load_workbook(io.BytesIO(out)).active
        assert ws["A1"].value == "秦渠社区 " + "AB"[i]

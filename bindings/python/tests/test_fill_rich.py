"""libexport.fill with rich text from a Python dict ({{r x}}, {{p x}}, links):
the same JSON forms as from a file, errors as libexport.Error with the data
path, and threads giving the same bytes. CTest sets LIBEXPORT_LIBRARY."""
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
import make_templates as mt  # noqa: E402

DATA = {"note": ["按", {"text": "条例", "bold": True, "color": "C00000"},
                 {"text": "原文", "link": "https://example.org/n?a=1&b=2"}],
        "body": [{"runs": "小结", "style": "Heading 1", "align": "center"}, "正文"]}


def test_rich_text_from_a_dict(tmp_path):
    tpl = mt.simple_docx(str(tmp_path / "t.docx"), "说明：{{r note}}", "{{p body}}")
    d = docx.Document(io.BytesIO(libexport.fill(tpl, DATA)))
    W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"
    # python-docx's paragraph.text leaves out the runs of hyperlinks
    assert ["".join(t.text for t in p._p.iter(W)) for p in d.paragraphs] == \
        ["说明：按条例原文", "小结", "正文"]
    bold = [r for r in d.paragraphs[0].runs if r.text == "条例"][0]
    assert bold.bold is True and str(bold.font.color.rgb) == "C00000"
    assert d.paragraphs[1].style.style_id == "Heading1"
    links = [r for r in d.part.rels.values() if r.is_external]
    assert [r.target_ref for r in links] == ["https://example.org/n?a=1&b=2"]


def test_bad_rich_text_is_an_error_with_the_data_path(tmp_path):
    tpl = mt.simple_docx(str(tmp_path / "t.docx"), "{{r note}}")
    with pytest.raises(libexport.Error) as e:
        libexport.fill(tpl, {"note": [{"text": "x", "size": -3}]})
    assert (e.value.line, e.value.column) == (1, 5)   # the expression in {{r note}}
    assert "'size' is in points" in e.value.message and "note[0].size" in e.value.message


def test_rich_fills_in_threads_give_the_same_bytes(tmp_path):
    tpl = mt.simple_docx(str(tmp_path / "t.docx"), "{{r note}}", "{{p body}}")
    ref = libexport.fill(tpl, DATA)
    out = [None] * 8

    def work(i):
        out[i] = libexport.fill(tpl, DATA)
    ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(o == ref for o in out)

"""libexport.batch: many communities from Python, with a progress callback
called once per input; a failing input is reported and the others go on."""
import os
import shutil
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
SRC = os.environ.get("LEXP_SOURCE_DIR", os.path.dirname(os.path.dirname(PKG)))
sys.path.insert(0, PKG)

import libexport  # noqa: E402

STREET = os.path.join(SRC, "samples", "钢城街道")


def test_batch_with_progress(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("日期,活动名称\n2021-02-30,宣传\n", encoding="utf-8")
    seen = []
    res = libexport.batch([os.path.join(STREET, "五一社区.xlsx"), os.path.join(STREET, "胜利社区.xlsx"),
                           bad], tmp_path / "out", month="2021-09", formats=["txt", "xlsx"],
                          profile=None, threads=2, progress=seen.append)
    assert (res.inputs, res.done, res.failed, res.documents) == (3, 2, 1, 4)
    assert sorted(e.done for e in seen) == [1, 2, 3]
    assert {e.community for e in seen if not e.error} == {"五一社区", "胜利社区"}
    (fail,) = res.failures
    assert fail.input.endswith("bad.csv")
    assert isinstance(fail.error, libexport.Error) and fail.error.path == "A2"
    assert "2021-02-30" in fail.error.message
    assert sorted(os.listdir(tmp_path / "out" / "五一社区")) == ["briefing-2021-09.txt",
                                                               "briefing-2021-09.xlsx"]


def test_batch_rollup_and_errors(tmp_path):
    res = libexport.batch(STREET, tmp_path / "o", month="2021-09", formats=["txt"])
    assert res.failed == 0 and res.done == 4
    assert any(e.rollup and e.outdir.endswith("钢城街道") for e in res.events)
    assert (tmp_path / "o" / "钢城街道" / "stats-2021-09.txt").exists()
    with pytest.raises(libexport.Error) as e:
        libexport.batch(STREET, tmp_path / "o2", month="2021-13")
    assert "2021-13" in e.value.message
    with pytest.raises(ZeroDivisionError):  # the callback's own error comes back
        libexport.batch(os.path.join(STREET, "五一社区.xlsx"), tmp_path / "o3", month="2021-09",
                        formats=["txt"], progress=lambda ev: 1 / 0)


def test_ledger_as_data_everywhere(tmp_path):
    """render and check take ledgers as they take JSON."""
    a = libexport.render("briefing", os.path.join(SRC, "samples", "jianlin.xlsx"), "txt",
                         month="2021-09")
    b = libexport.render("briefing", os.path.join(SRC, "samples", "jianlin.json"), "txt",
                         month="2021-09")
    assert a == b
    assert libexport.check(os.path.join(SRC, "samples", "jianlin.xlsx")) == []

"""lexport fill with Excel templates written as Excel users write them:
ranges to the sheet's last row, loops without row tags, formulas made by
filling. Read back with openpyxl (an independent reader).

    LEXPORT=build/lexport /usr/bin/python3 -m pytest tests/render/test_fill_xlsx.py
"""
import os
import subprocess
import sys
import zipfile

import pytest

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
SRC = os.environ.get("LEXP_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "fill"))

openpyxl = pytest.importorskip("openpyxl")
from openpyxl.worksheet.datavalidation import DataValidation  # noqa: E402

import make_templates as mt  # noqa: E402
import pkgcheck  # noqa: E402

DATA = os.path.join(SRC, "samples", "qinqu.json")


def lx(*args, timeout=30):
    return subprocess.run([LEXPORT, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def fill(tpl, tmp_path, data=DATA, name="o.xlsx"):
    out = tmp_path / name
    r = lx("fill", tpl, data, "-o", out)
    assert r.returncode == 0, r.stderr
    assert not pkgcheck.check(out), pkgcheck.check(out)
    return out, r.stderr


# ---- issue 10 item 9: ranges that run to the last row ---------------------------

LAST = 1048576


def to_the_end(tmp_path, items):
    p = mt.simple_xlsx(str(tmp_path / "end.xlsx"), {
        "A1": "人次", "A2": "{%tr for a in " + items + " %}", "B3": "{{ a }}",
        "A4": "{%tr endfor %}",
        "C1": f"=SUM(B3:B{LAST})", "D1": "=SUM(B:B)", "E1": f"=SUM(B$3:B${LAST})",
        "F1": f"=COUNT(3:{LAST})", "G1": f"=SUM(B6:B{LAST})", "H1": "=B3"})
    wb = openpyxl.load_workbook(p)
    dv = DataValidation(type="whole", operator="greaterThan", formula1="0")
    dv.add(f"B3:B{LAST}")
    wb.active.add_data_validation(dv)
    wb.save(p)
    return p


@pytest.mark.parametrize("items,n", [("[1, 2, 3, 4, 5]", 5), ("[7]", 1), ("[]", 0)])
def test_ranges_to_the_last_row_keep_running_to_it(tmp_path, items, n):
    out, err = fill(to_the_end(tmp_path, items), tmp_path)
    assert "covers no rows" not in err and "warning" not in err, err
    ws = openpyxl.load_workbook(out).active
    assert [ws.cell(1 + i, 2).value for i in range(1, n + 1)] == \
        [int(x) for x in items.strip("[]").split(",") if x.strip()]
    first = 2  # the {%tr %} row went: the first copy stands at row 2
    assert ws["C1"].value == f"=SUM(B{first}:B{LAST})"
    assert ws["D1"].value == "=SUM(B:B)"
    assert ws["E1"].value == f"=SUM(B${first}:B${LAST})"
    assert ws["F1"].value == f"=COUNT({first}:{LAST})"
    # a range below the template's rows moves with them and still ends at the end
    assert ws["G1"].value == f"=SUM(B{6 - 3 + n}:B{LAST})"
    assert [str(r) for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges] == \
        [f"B{first}:B{LAST}"]


def test_whole_columns_and_rows_to_the_end_in_another_sheet(tmp_path):
    p = mt.simple_xlsx(str(tmp_path / "x.xlsx"), {
        "A1": "{%tr for a in [1, 2, 3] %}", "A2": "{{ a }}", "A3": "{%tr endfor %}"})
    wb = openpyxl.load_workbook(p)
    ws2 = wb.create_sheet("汇总")
    ws2["A1"] = f"=SUM(Sheet!A2:A{LAST})"
    ws2["A2"] = "=SUM(Sheet!A:A)"
    ws2["A3"] = f"=SUM('Sheet'!$A$2:$A${LAST})"
    wb.save(p)
    out, err = fill(p, tmp_path)
    assert "warning" not in err, err
    wb = openpyxl.load_workbook(out)
    assert [wb["Sheet"][f"A{r}"].value for r in (1, 2, 3)] == [1, 2, 3]
    assert [wb["汇总"][f"A{r}"].value for r in (1, 2, 3)] == [
        f"=SUM(Sheet!A1:A{LAST})", "=SUM(Sheet!A:A)", f"=SUM('Sheet'!$A$1:$A${LAST})"]

"""Chinese numerals over whole ranges, against a reference written here
independently of the C code (digit by digit, right to left)."""
import os
import subprocess

import pytest

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
DIGITS = "零一二三四五六七八九"
UPPER = "零壹贰叁肆伍陆柒捌玖"


def section(n, digits, units):
    """0 < n < 10000 → text; zeros between digits read as one 零."""
    out, zero = "", False
    for place in (3, 2, 1, 0):
        d = n // 10 ** place % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += digits[0]
            zero = False
        out += digits[d] + units[place]
    return out


def reference(n, upper=False):
    digits = UPPER if upper else DIGITS
    units = ["", "拾", "佰", "仟"] if upper else ["", "十", "百", "千"]
    if n < 0:
        return "负" + reference(-n, upper)
    if n == 0:
        return digits[0]
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    big = ["", "万", "亿", "万亿"]
    out = ""
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            continue
        if out and (g < 1000 or groups[i + 1] == 0):
            if not out.endswith(digits[0]):
                out += digits[0]
        out += section(g, digits, units) + big[i]
    if not upper and out.startswith("一十"):
        out = out[1:]
    return out


NUMBERS = ([0, 20] + list(range(1, 20)) + list(range(100, 120)) + list(range(1000, 1011))
           + list(range(10000, 10011)) + [100000, 100001, 110000, 100000000, 100000001,
                                          100010000, 1000000000, 123456789, 12130, 4101, 3986]
           + [-1, -10, -15, -105, -10010])


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    d = tmp_path_factory.mktemp("num")
    tpl = d / "n.lxt"
    tpl.write_text("".join(f"{n}={{{{ {n} | cn }}}}|{{{{ {n} | cn_upper }}}}\n\n" for n in NUMBERS),
                   encoding="utf-8")
    data = d / "d.json"
    data.write_text('{"community": {"name": "x"}}')
    r = subprocess.run([LEXPORT, "render", tpl, data, "-f", "txt", "-o", "-"], capture_output=True,
                       text=True, check=True)
    got = {}
    for line in r.stdout.splitlines():
        k, v = line.split("=")
        got[int(k)] = v.split("|")
    return got


@pytest.mark.parametrize("n", NUMBERS)
def test_cn_and_cn_upper(rendered, n):
    lower, upper = rendered[n]
    assert lower == reference(n), n
    assert upper == reference(n, upper=True), n


def test_reference_knows_the_contract():
    # the reference itself against the contract's examples
    assert reference(12130) == "一万二千一百三十"
    assert reference(10) == "十" and reference(15) == "十五" and reference(105) == "一百零五"
    assert reference(1234, upper=True) == "壹仟贰佰叁拾肆"
    assert reference(100010000) == "一亿零一万"


@pytest.mark.parametrize("x,want", [("3.14", "三点一四"), ("0.5", "零点五"), ("-2.05", "负二点零五"),
                                    ("10.5", "十点五"), ("100.01", "一百点零一")])
def test_decimals(tmp_path, x, want):
    tpl = tmp_path / "d.lxt"
    tpl.write_text(f"{{{{ {x} | cn }}}}\n", encoding="utf-8")
    data = tmp_path / "d.json"
    data.write_text('{"community": {"name": "x"}}')
    r = subprocess.run([LEXPORT, "render", tpl, data, "-f", "txt", "-o", "-"], capture_output=True,
                       text=True, check=True)
    assert r.stdout.strip() == want

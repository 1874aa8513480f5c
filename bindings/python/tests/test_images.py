"""Photos through the Python bindings: a damaged, truncated or huge image,
or one behind a FIFO or a symlink out of the data folder, never takes the
Python process down and never prints; it comes back as a RenderWarning
naming the file. Each render runs in a child Python so that a crash shows
as its exit status and anything printed on file descriptor 2 is seen."""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
SRC = os.environ.get("LEXP_SOURCE_DIR", os.path.dirname(os.path.dirname(PKG)))
sys.path.insert(0, os.path.join(SRC, "tests", "images"))
import make_images  # noqa: E402

SAMPLE = os.path.join(SRC, "samples", "qinqu.json")
MONTH = "2024-09"

CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import libexport
got = []
paths = libexport.brief(sys.argv[2], sys.argv[3], sys.argv[4],
                        on_warning=lambda w: got.append(str(w)))
print(json.dumps({"paths": paths, "warnings": got}))
"""


def run_brief(tmp_path, rel):
    d = json.load(open(SAMPLE, encoding="utf-8"))
    for a in d["activities"]:
        if a.get("photos") == ["photos/0920.png"]:
            a["photos"] = [rel]
    data = tmp_path / "data.json"
    data.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    r = subprocess.run([sys.executable, "-c", CHILD, PKG, str(data), MONTH, str(tmp_path / "out")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    assert r.stderr == "", r.stderr  # nothing from libpng, libjpeg or libharu
    return json.loads(r.stdout)


@pytest.mark.parametrize("name", sorted(n for n, (_, v) in make_images.IMAGES.items()
                                        if v == "refused") + ["trns-40x30.png", "interlaced.png"])
def test_image(tmp_path, name):
    data, verdict = make_images.IMAGES[name]
    os.makedirs(tmp_path / "photos")
    (tmp_path / "photos" / name).write_bytes(data)
    got = run_brief(tmp_path, "photos/" + name)
    assert len(got["paths"]) == 3 and all(os.path.getsize(p) > 1000 for p in got["paths"])
    about = [w for w in got["warnings"] if "photos/" + name in w]
    if verdict == "ok":
        assert not about, about
    else:
        assert about and any("placeholder" in w for w in about), got["warnings"]


def test_fifo_and_escaping_symlink(tmp_path):
    os.makedirs(tmp_path / "photos")
    os.mkfifo(tmp_path / "photos" / "fifo.png")
    got = run_brief(tmp_path, "photos/fifo.png")
    assert any("not a regular file" in w for w in got["warnings"]), got["warnings"]
    os.remove(tmp_path / "photos" / "fifo.png")
    os.symlink("/dev/zero", tmp_path / "photos" / "fifo.png")
    got = run_brief(tmp_path, "photos/fifo.png")
    assert any("outside the data folder" in w for w in got["warnings"]), got["warnings"]

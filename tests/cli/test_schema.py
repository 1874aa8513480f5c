"""samples/schema.json states the data contract that `lexport check` enforces:
every sample validates, and each contract violation the schema can express
is rejected by both."""
import copy
import glob
import json
import os
import subprocess

import jsonschema
import pytest

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
SRC = os.environ.get("LEXP_SOURCE_DIR", ".")
SCHEMA = json.load(open(os.path.join(SRC, "samples", "schema.json"), encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
SAMPLES = sorted(glob.glob(os.path.join(SRC, "samples", "*.json")))
SAMPLES = [s for s in SAMPLES if not s.endswith("schema.json")]


def test_schema_is_valid_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", SAMPLES + [os.path.join(SRC, "tests", "cases", "data.json")])
def test_samples_validate(path):
    data = json.load(open(path, encoding="utf-8"))
    errors = [e.message for e in VALIDATOR.iter_errors(data)]
    assert not errors
    assert subprocess.run([LEXPORT, "check", path], capture_output=True).returncode == 0


VIOLATIONS = [
    ("participants as text", lambda d: d["activities"][0].__setitem__("participants", "十六")),
    ("negative count", lambda d: d["activities"][0].__setitem__("materials", -1)),
    ("fractional count", lambda d: d["community"].__setitem__("population", 12.5)),
    ("missing name", lambda d: d["community"].pop("name")),
    ("missing community", lambda d: d.pop("community")),
    ("bad date", lambda d: d["activities"][0].__setitem__("date", "2024-9-1")),
    ("month 13", lambda d: d["briefing"].__setitem__("first_issue_month", "2024-13")),
    ("report_to not a list", lambda d: d["briefing"].__setitem__("report_to", "区民宗局")),
    ("highlight not bool", lambda d: d["activities"][0].__setitem__("highlight", 1)),
    ("plan without title", lambda d: d["plans"][0].pop("title")),
    ("dispute without found", lambda d: d["disputes"][0].pop("found")),
]


@pytest.mark.parametrize("name,mutate", VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_schema_and_check_agree(tmp_path, name, mutate):
    base = json.load(open(os.path.join(SRC, "samples", "qinqu.json"), encoding="utf-8"))
    d = copy.deepcopy(base)
    mutate(d)
    assert list(VALIDATOR.iter_errors(d)), "the schema accepts: " + name
    p = tmp_path / "d.json"
    p.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    assert subprocess.run([LEXPORT, "check", p], capture_output=True).returncode == 1

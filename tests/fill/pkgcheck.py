"""Independent checks of an OOXML package (a filled .docx or .xlsx):

- every XML part is well-formed (lxml, no DTDs, no network);
- every internal relationship target exists;
- every part has a content type, by Override or by Default extension;
- ids Word insists on are unique (drawing docPr ids, bookmark ids).

check(path) returns a list of problems (empty when the package is sound).
"""
import posixpath
import zipfile

from lxml import etree

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"


def _rels_base(name):
    # word/_rels/document.xml.rels -> word/document.xml ; _rels/.rels -> ""
    d, f = posixpath.split(name)
    owner_dir = posixpath.dirname(d)
    return posixpath.join(owner_dir, f[: -len(".rels")]) if f != ".rels" else ""


def check(path):
    problems = []
    z = zipfile.ZipFile(path)
    names = set(z.namelist())
    if z.testzip() is not None:
        problems.append("CRC error in " + z.testzip())
    docs = {}
    for n in names:
        if n.endswith((".xml", ".rels", ".vml")):
            try:
                docs[n] = etree.fromstring(z.read(n), PARSER)
            except etree.XMLSyntaxError as e:
                problems.append(f"{n}: not well-formed: {e}")
    ct = docs.get("[Content_Types].xml")
    if ct is None:
        problems.append("no [Content_Types].xml")
    else:
        overrides = {e.get("PartName").lstrip("/") for e in ct.iter(CT + "Override")}
        defaults = {e.get("Extension").lower() for e in ct.iter(CT + "Default")}
        for n in names:
            if n.endswith("/") or n == "[Content_Types].xml":
                continue
            ext = n.rsplit(".", 1)[-1].lower()
            if n not in overrides and ext not in defaults:
                problems.append(f"{n}: no content type")
        for o in overrides:
            if o not in names:
                problems.append(f"content type for a missing part {o}")
    for n, doc in docs.items():
        if not n.endswith(".rels"):
            continue
        base = _rels_base(n)
        for r in doc.iter(REL + "Relationship"):
            if r.get("TargetMode") == "External":
                continue
            t = r.get("Target")
            full = t.lstrip("/") if t.startswith("/") else posixpath.normpath(
                posixpath.join(posixpath.dirname(base), t))
            if full not in names:
                problems.append(f"{n}: {r.get('Id')} points at missing {full}")
    for n, doc in docs.items():
        if not n.startswith("word/"):
            continue
        ids = [e.get("id") for e in doc.iter(WP + "docPr")]
        if len(ids) != len(set(ids)):
            problems.append(f"{n}: duplicate drawing ids")
        bm = [e.get(W + "id") for e in doc.iter(W + "bookmarkStart")]
        if len(bm) != len(set(bm)):
            problems.append(f"{n}: duplicate bookmark ids")
        for tbl in doc.iter(W + "tbl"):
            if not tbl.findall(W + "tr"):
                problems.append(f"{n}: a table without rows")
        for tc in doc.iter(W + "tc"):
            kids = [k for k in tc if k.tag in (W + "p", W + "tbl", W + "sdt")]
            if not kids or kids[-1].tag == W + "tbl":
                problems.append(f"{n}: a table cell that does not end with a paragraph")
    return problems


if __name__ == "__main__":
    import sys
    bad = 0
    for p in sys.argv[1:]:
        for msg in check(p):
            print(f"{p}: {msg}")
            bad = 1
    sys.exit(bad)

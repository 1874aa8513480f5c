#!/usr/bin/env bash
# Runs lexport under valgrind on every built-in template and format, on the
# error paths, and fails on any memory error or leak.
set -euo pipefail
LX=${1:?usage: memcheck.sh PATH/TO/lexport}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
# fontconfig loses a block once per process while reading its configuration
VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
    --suppressions="$ROOT/tests/valgrind.supp")
fail=0
run() { # expected-status args…
  local want=$1; shift
  set +e
  "${VG[@]}" "$LX" "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  set -e
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL (exit $rc, want $want): lexport $*"; head -c 2000 "$T/err"; fail=1
  fi
}
DATA="$ROOT/samples/qinqu.json"
run 0 check "$DATA"
formats="txt tree"
for f in pdf docx xlsx; do
  "$LX" render briefing "$DATA" --month 2024-09 -f "$f" -o "$T/probe.$f" >/dev/null 2>&1 && formats="$formats $f"
done
for t in $("$LX" templates | awk '{print $1}'); do
  for f in $formats; do
    # a template declares its formats (the prose ones refuse xlsx): the
    # refusal is an exit path to check as well
    want=0
    if ! "$LX" render "$t" "$DATA" --month 2024-09 -f "$f" -o "$T/probe-$t.$f" 2>"$T/perr" &&
       grep -q "is not made for $f" "$T/perr"; then
      want=2
    fi
    run "$want" render "$t" "$DATA" --month 2024-09 -f "$f" -o "$T/$t.$f"
  done
done
run 0 brief "$DATA" --month 2024-09 -f "${formats// /,}" -o "$T/brief"
printf '{"community": {"name": 1}}' >"$T/bad.json"
run 1 check "$T/bad.json"
printf -- '{%% for x in activities %%}\n' >"$T/bad.lxt"
run 1 render "$T/bad.lxt" "$DATA" -o "$T/x.txt"
run 2 brief "$DATA" --month 2024-13 -o "$T"
# office templates, built for this run (python-docx and openpyxl)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if "$PY" "$ROOT/tests/fill/make_templates.py" "$T/fill" >/dev/null 2>&1; then
  for f in "$T"/fill/*.docx "$T"/fill/*.xlsx; do
    case "$(basename "$f")" in
      bad-*) run 1 fill "$f" "$DATA" -o "$T/filled-$(basename "$f")" ;;
      *) run 0 fill "$f" "$DATA" --month 2024-09 -o "$T/filled-$(basename "$f")" ;;
    esac
  done
  head -c 3000 "$T/fill/form.docx" >"$T/truncated.docx"
  run 1 fill "$T/truncated.docx" "$DATA" -o "$T/x.docx"
  formats="$formats fill"
else
  echo "memcheck: python3-docx/python3-openpyxl are missing; lexport fill not checked"
fi
[ "$fail" -eq 0 ] && echo "valgrind: no errors ($formats)"
exit "$fail"

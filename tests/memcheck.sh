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
    run 0 render "$t" "$DATA" --month 2024-09 -f "$f" -o "$T/$t.$f"
  done
done
run 0 brief "$DATA" --month 2024-09 -f "${formats// /,}" -o "$T/brief"
printf '{"community": {"name": 1}}' >"$T/bad.json"
run 1 check "$T/bad.json"
printf -- '{%% for x in activities %%}\n' >"$T/bad.lxt"
run 1 render "$T/bad.lxt" "$DATA" -o "$T/x.txt"
run 2 brief "$DATA" --month 2024-13 -o "$T"
[ "$fail" -eq 0 ] && echo "valgrind: no errors ($formats)"
exit "$fail"

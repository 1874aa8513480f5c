#!/usr/bin/env bash
# Set up, build and check libexport on Debian 12.
#
#   bash scripts/dev.sh demo    install, build, render the sample monthly briefing
#                               (PDF, DOCX, XLSX) into out/
#   bash scripts/dev.sh test    install, build, run every test (also under
#                               AddressSanitizer/UBSan and valgrind)
#   bash scripts/dev.sh build   install the build dependencies and build
#   bash scripts/dev.sh bench   build and print the benchmark figures
#   bash scripts/dev.sh fuzz [SECONDS]
#                               build every libFuzzer target (tests/fuzz/fuzz_*.c with
#                               a corpus) with clang and ASan+UBSan, run each for
#                               SECONDS (default 60); findings go to build-fuzz/findings/
#                               (LEXP_FUZZ_TARGETS="template json" picks targets)
#
# Installs Debian packages with apt-get when some are missing (needs root or sudo).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JOBS=$(nproc 2>/dev/null || echo 2)

BUILD_DEPS=(build-essential cmake pkg-config
  libjansson-dev libhpdf-dev libharfbuzz-dev libfontconfig1-dev libzip-dev libxml2-dev
  zlib1g-dev libpng-dev libjpeg62-turbo-dev libicu-dev
  fonts-arphic-gbsn00lp fonts-arphic-gkai00mp fonts-arphic-uming fonts-wqy-zenhei
  fonts-liberation2)
BUILD_DEPS+=(libdeflate-dev)
FUZZ_DEPS=(clang libclang-rt-14-dev)
# libxlsxwriter: only the XLSX benchmark's comparison baseline (tests/bench/bench_xlsx*.c)
TEST_DEPS=(libxlsxwriter-dev python3 python3-pytest python3-docx python3-openpyxl python3-jsonschema poppler-utils qpdf
  libreoffice-writer-nogui libreoffice-calc-nogui valgrind libxml2-utils python3-venv ghostscript
  python3-pil python3-icu fonts-urw-base35 python3-jinja2)

install_pkgs() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing: ${missing[*]}"
  local SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The free FangSong: FandolFang (with FandolSong/Hei/Kai) ships only inside
# texlive-lang-chinese, whose installation pulls the TeX system (texlive-base,
# texlive-binaries, texlive-latex-base…: 19 packages, ~300 MB). Only the six font
# files are needed, so take them from the package's own .deb (fetched through apt
# from the configured mirror, unpacked with dpkg-deb) into a directory fontconfig
# scans, with the licence beside them. An installed texlive-lang-chinese is used as is.
FANDOL_SYS=/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol
FANDOL_DIR=/usr/local/share/fonts/fandol
install_fandol() {
  [ -f "$FANDOL_SYS/FandolFang-Regular.otf" ] && return 0
  [ -f "$FANDOL_DIR/FandolFang-Regular.otf" ] && return 0
  echo "== installing the Fandol fonts from texlive-lang-chinese into $FANDOL_DIR"
  local SUDO="" tmp
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download texlive-lang-chinese >/dev/null 2>&1) ||
    { $SUDO apt-get update -qq && (cd "$tmp" && apt-get download texlive-lang-chinese >/dev/null); }
  dpkg-deb -x "$tmp"/texlive-lang-chinese_*.deb "$tmp/x"
  $SUDO install -d "$FANDOL_DIR"
  $SUDO install -m 644 "$tmp/x$FANDOL_SYS"/Fandol{Fang-Regular,Song-Regular,Song-Bold,Hei-Regular,Hei-Bold,Kai-Regular}.otf \
    "$tmp/x/usr/share/doc/texlive-doc/fonts/fandol/README" "$FANDOL_DIR/"
  zcat "$tmp/x/usr/share/doc/texlive-doc/fonts/fandol/COPYING.gz" | $SUDO tee "$FANDOL_DIR/COPYING" >/dev/null
  rm -rf "$tmp"
  $SUDO fc-cache -f "$FANDOL_DIR" >/dev/null
}

build() { # build DIR [cmake options…]
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j"$JOBS"
}

# Inputs as long as the limits they should reach: templates past the chain
# and nesting limits, office packages with a few parts.
fuzz_max_len() {
  case "$1" in
    office|ledger) echo 262144 ;;
    pipeline) echo 131072 ;;
    image) echo 1048576 ;;
    *) echo 65536 ;;
  esac
}

fuzz() { # fuzz SECONDS: every target in turn, unattended; a summary line each
  local secs=$1 dir=build-fuzz
  [[ "$secs" =~ ^[0-9]+$ ]] || { echo "fuzz: SECONDS must be a number, not '$secs'"; exit 2; }
  local targets=()
  for src in tests/fuzz/fuzz_*.c; do
    local name; name=$(basename "$src" .c); name=${name#fuzz_}
    [ -d "tests/fuzz/corpus/$name" ] || continue
    if [ -n "${LEXP_FUZZ_TARGETS:-}" ] && [[ " $LEXP_FUZZ_TARGETS " != *" $name "* ]]; then
      continue
    fi
    targets+=("$name")
  done
  [ ${#targets[@]} -gt 0 ] || { echo "fuzz: no targets"; exit 2; }
  echo "== building ${targets[*]} with clang, libFuzzer, ASan and UBSan in $dir"
  CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEXP_FUZZ=ON \
    -DLEXP_SANITIZE=ON >/dev/null
  cmake --build "$dir" -j"$JOBS" --target "${targets[@]/#/fuzz_}"
  local summary=() found=0
  export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
  export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"
  export LEXP_SOURCE_DIR="$ROOT"
  for name in "${targets[@]}"; do
    local work="$dir/corpus/$name" findings="$dir/findings/$name" log="$dir/fuzz-$name.log"
    mkdir -p "$work" "$findings"
    echo "== fuzz_$name for ${secs}s (log: $log)"
    # fork mode with -ignore_*: a finding is saved and fuzzing goes on, so a
    # long unattended run reports every finding, not only the first
    "$dir/tests/fuzz_$name" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
      -max_total_time="$secs" -max_len="$(fuzz_max_len "$name")" -timeout=30 \
      -rss_limit_mb=2048 -artifact_prefix="$findings/" -print_final_stats=1 \
      "$work" "tests/fuzz/corpus/$name" >"$log" 2>&1 || true
    local stats n execs cov corp rate
    stats=$(grep -E '^#[0-9]+: cov: ' "$log" | tail -1)
    execs=$(sed -nE 's/^#([0-9]+): .*/\1/p' <<<"$stats")
    cov=$(sed -nE 's/.* cov: ([0-9]+) .*/\1/p' <<<"$stats")
    corp=$(sed -nE 's/.* corp: ([0-9]+) .*/\1/p' <<<"$stats")
    n=$(find "$findings" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
        -o -name 'oom-*' -o -name 'slow-unit-*' \) | wc -l)
    found=$((found + n))
    rate=$(sed -nE 's/.* exec\/s ([0-9]+) .*/\1/p' <<<"$stats")
    summary+=("$(printf 'fuzz %-9s %6ss  %10s execs  %7s exec/s  cov %6s  corpus %5s  findings %s%s' \
      "$name" "$secs" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
      "${corp:-?}" "$n" "$( [ "$n" -gt 0 ] && echo " in $findings/")")")
  done
  echo "== summary (inputs that found something: add each to tests/fuzz/corpus/NAME/ with its fix)"
  printf '%s\n' "${summary[@]}"
  [ "$found" -eq 0 ]
}

case "${1:-}" in
  build)
    install_pkgs "${BUILD_DEPS[@]}"
    install_fandol
    build build
    ;;
  demo)
    install_pkgs "${BUILD_DEPS[@]}"
    install_fandol
    build build
    mkdir -p out
    build/lexport brief samples/qinqu.json --month 2024-09 -o out
    echo "== the September 2024 briefing of 秦渠社区 is in out/"
    ;;
  test)
    install_pkgs "${BUILD_DEPS[@]}" "${TEST_DEPS[@]}"
    install_fandol
    echo "== build and test"
    build build
    (cd build && ctest --output-on-failure -j"$JOBS" -LE bench)
    conf="${LEXP_CONFORMANCE:-$ROOT/../shared/conformance/run}"
    if [ -x "$conf" ] || [ -f "$conf" ]; then
      echo "== contract conformance ($conf)"
      bash "$conf" build/lexport
    else
      echo "== contract conformance suite not found at $conf (set LEXP_CONFORMANCE); skipped"
    fi
    dtpl="${LEXP_DOCXTPL:-$ROOT/../shared/compat/docxtpl/run.sh}"
    if [ -f "$dtpl" ]; then
      echo "== docxtpl's own test templates ($dtpl)"
      bash "$dtpl" build/lexport
    else
      echo "== docxtpl compatibility suite not found at $dtpl (set LEXP_DOCXTPL); skipped"
    fi
    echo "== AddressSanitizer + UndefinedBehaviorSanitizer"
    build build-asan -DLEXP_SANITIZE=ON
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j"$JOBS" -L "unit|cases|cli")
    echo "== valgrind"
    bash tests/memcheck.sh build/lexport
    echo "== all tests passed"
    ;;
  bench)
    install_pkgs "${BUILD_DEPS[@]}"
    install_fandol
    build build
    cmake --build build --target bench
    ;;
  fuzz)
    install_pkgs "${BUILD_DEPS[@]}" "${FUZZ_DEPS[@]}"
    fuzz "${2:-60}"
    ;;
  *)
    sed -n '2,18p' "$0"
    exit 2
    ;;
esac

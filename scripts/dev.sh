#!/usr/bin/env bash
# Set up, build and check libexport on Debian 12.
#
#   bash scripts/dev.sh demo    install, build, render the sample monthly briefing
#                               (PDF, DOCX, XLSX) into out/
#   bash scripts/dev.sh test    install, build, run every test (also under
#                               AddressSanitizer/UBSan and valgrind)
#   bash scripts/dev.sh build   install the build dependencies and build
#   bash scripts/dev.sh bench   build and print the benchmark figures
#
# Installs Debian packages with apt-get when some are missing (needs root or sudo).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JOBS=$(nproc 2>/dev/null || echo 2)

BUILD_DEPS=(build-essential cmake pkg-config
  libjansson-dev libhpdf-dev libharfbuzz-dev libfontconfig1-dev libzip-dev libxml2-dev
  libxlsxwriter-dev zlib1g-dev libpng-dev
  fonts-arphic-gbsn00lp fonts-arphic-gkai00mp fonts-arphic-uming fonts-wqy-zenhei)
TEST_DEPS=(python3 python3-pytest python3-docx python3-openpyxl python3-jsonschema poppler-utils qpdf
  libreoffice-writer-nogui libreoffice-calc-nogui valgrind libxml2-utils python3-venv ghostscript)

install() {
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

build() { # build DIR [cmake options…]
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j"$JOBS"
}

case "${1:-}" in
  build)
    install "${BUILD_DEPS[@]}"
    build build
    ;;
  demo)
    install "${BUILD_DEPS[@]}"
    build build
    mkdir -p out
    build/lexport brief samples/qinqu.json --month 2024-09 -o out
    echo "== the September 2024 briefing of 秦渠社区 is in out/"
    ;;
  test)
    install "${BUILD_DEPS[@]}" "${TEST_DEPS[@]}"
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
    echo "== AddressSanitizer + UndefinedBehaviorSanitizer"
    build build-asan -DLEXP_SANITIZE=ON
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j"$JOBS" -L "unit|cases|cli")
    echo "== valgrind"
    bash tests/memcheck.sh build/lexport
    echo "== all tests passed"
    ;;
  bench)
    install "${BUILD_DEPS[@]}"
    build build
    cmake --build build --target bench
    ;;
  *)
    sed -n '2,13p' "$0"
    exit 2
    ;;
esac

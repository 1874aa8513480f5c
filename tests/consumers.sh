#!/usr/bin/env bash
# Installs the build into a staging prefix, then builds the two C consumers
# in samples/c against it — one through pkg-config, one through CMake's
# find_package(libexport) — and runs them.
set -euo pipefail
BUILD=$1 SRC=$2
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cmake --install "$BUILD" --prefix "$T/stage" >/dev/null
formats=${LEXP_CONSUMER_FORMATS:-pdf docx xlsx txt}

cp -r "$SRC/samples/c/pkgconfig" "$T/pc"
PKG_CONFIG_PATH="$T/stage/lib/pkgconfig" make -s -C "$T/pc"
mkdir "$T/out"
"$T/pc/brief" "$SRC/samples/qinqu.json" 2024-09 "$T/out" $formats
for f in $formats; do test -s "$T/out/briefing-2024-09.$f"; done

cmake -S "$SRC/samples/c/cmake" -B "$T/cm" -DCMAKE_PREFIX_PATH="$T/stage" >/dev/null
cmake --build "$T/cm" >/dev/null
"$T/cm/render_memory" txt | tee "$T/r.txt"
grep -q "四千一百零一" "$T/r.txt"
grep -q "合计" "$T/r.txt"
for f in $formats; do "$T/cm/render_memory" "$f"; done
echo "consumers: pkg-config and find_package builds work against the staged install"

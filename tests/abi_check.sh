#!/usr/bin/env bash
# ABI guards: the shared library exports exactly the symbols listed in
# libexport/libexport.sym (bindings bind by name), and the public header
# compiles on its own with -pedantic -Werror as C11 and as C++.
set -euo pipefail
LIB=$1 SRC=$2 GEN=$3
# _end, _edata and __bss_start are the linker's own: it exports them as soon as
# a linked library (libxlsxwriter.so.4 does) exports its own copies.
got=$(nm -D --defined-only "$LIB" | awk '{print $3}' | grep -vxE '_end|_edata|__bss_start' | sort)
if ! diff <(echo "$got") "$SRC/libexport/libexport.sym"; then
  echo "exported symbols differ from libexport/libexport.sym (update it if the change is intended)"
  exit 1
fi
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
printf '#include "libexport.h"\nint main(void) { return lexp_version_number() == LEXP_VERSION ? 0 : 1; }\n' >"$T/h.c"
cc -std=c11 -pedantic -Wall -Wextra -Werror -I"$SRC/libexport/include" -I"$GEN" -c "$T/h.c" -o "$T/h.o"
if command -v c++ >/dev/null; then
  cp "$T/h.c" "$T/h.cc"
  c++ -std=c++11 -pedantic -Wall -Wextra -Werror -I"$SRC/libexport/include" -I"$GEN" -c "$T/h.cc" -o "$T/hh.o"
fi
echo "abi: $(echo "$got" | wc -l) exported symbols, header compiles cleanly"

#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/targets/*.swift) with swiftc directly, instrumented with
# -sanitize=fuzzer,address, into .build-fuzz/. The package build is untouched: each parser module is
# compiled here as its own Swift module (same sources, same imports), then linked into each target.
# Usage: fuzz/build.sh [target…]   (default: every fuzz/targets/*.swift)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${FUZZ_BUILD_DIR:-$root/.build-fuzz}
mods=$out/modules
mkdir -p "$mods"
opt=${FUZZ_OPT:--O}          # -O keeps Swift's overflow and bounds traps; -Onone for debugging
san=(-sanitize=fuzzer,address)

# Yams (and its C libyaml) come from the package's checkouts.
yams=$root/.build/checkouts/Yams/Sources
if [[ ! -d $yams ]]; then swift package resolve >/dev/null; fi

# module name : Swift language mode : source directory. Order = dependency order.
# Basics/Digest.swift is left out: it is the only file that needs swift-crypto, and no parser uses it.
modules=(
  "Basics:6:Sources/Basics"
  "Compute:5:Sources/Compute"
  "Quant:5:Sources/Quant"
  "Formats:5:Sources/Formats"
  "Tokenizer:6:Sources/Tokenizer"
  "ChatTemplate:6:Sources/ChatTemplate"
  "Yams:5:$yams/Yams"
  "Recipe:6:Sources/Recipe"
)
skip_file=Sources/Basics/Digest.swift

# libyaml (C), with the define Yams' Package.swift sets.
if [[ ! -f $mods/CYaml.a || -n $(find "$yams/CYaml" -newer "$mods/CYaml.a" -name '*.[ch]' | head -1) ]]; then
  objs=()
  for c in "$yams"/CYaml/src/*.c; do
    o=$mods/cyaml-$(basename "$c" .c).o
    clang -c -O1 -g -fsanitize=fuzzer-no-link,address -DYAML_DECLARE_EXPORT -I "$yams/CYaml/include" "$c" -o "$o"
    objs+=("$o")
  done
  rm -f "$mods/CYaml.a"; ar rcs "$mods/CYaml.a" "${objs[@]}"
fi

# Each module is rebuilt when its fingerprint changes: the flags, its sources, the upstream fingerprints.
upstream=""
for entry in "${modules[@]}"; do
  IFS=: read -r name mode dir <<<"$entry"
  sources=()
  while IFS= read -r f; do [[ $f == "$skip_file" ]] || sources+=("$f"); done < <(find "$dir" -name '*.swift' | sort)
  print=$( { echo "$opt ${san[*]} $mode $upstream"; cat "${sources[@]}"; } | sha256sum | cut -c1-16)
  upstream="$upstream $print"
  if [[ -f $mods/$name.o && $(cat "$mods/$name.fingerprint" 2>/dev/null) == "$print" ]]; then continue; fi
  echo "fuzz/build.sh: module $name (${#sources[@]} files)"
  rm -f "$mods/$name.fingerprint"
  # Yams imports its C module only when built as a package (SWIFT_PACKAGE), as SwiftPM defines.
  quiet=(); [[ $name == Yams ]] && quiet=(-suppress-warnings)
  swiftc -module-name "$name" -parse-as-library -wmo -swift-version "$mode" "$opt" -g "${san[@]}" -DSWIFT_PACKAGE "${quiet[@]}" \
    -I "$mods" -Xcc -I"$yams/CYaml/include" -Xcc -fmodule-map-file="$yams/CYaml/include/module.modulemap" \
    -emit-module -emit-module-path "$mods/$name.swiftmodule" -c -o "$mods/$name.o" "${sources[@]}"
  echo "$print" >"$mods/$name.fingerprint"
done

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for f in fuzz/targets/*.swift; do targets+=("$(basename "$f" .swift)"); done
fi
objects=()
for entry in "${modules[@]}"; do objects+=("$mods/${entry%%:*}.o"); done
for t in "${targets[@]}"; do
  bin=$out/$t
  print=$( { echo "$upstream"; cat "fuzz/targets/$t.swift"; } | sha256sum | cut -c1-16)
  if [[ -f $bin && $(cat "$bin.fingerprint" 2>/dev/null) == "$print" ]]; then continue; fi
  echo "fuzz/build.sh: target $t"
  swiftc -module-name "fuzz_${t//-/_}" -parse-as-library "$opt" -g "${san[@]}" -I "$mods" \
    -Xcc -I"$yams/CYaml/include" -Xcc -fmodule-map-file="$yams/CYaml/include/module.modulemap" \
    "fuzz/targets/$t.swift" "${objects[@]}" "$mods/CYaml.a" -o "$bin" 2> >(grep -v 'Cannot export local symbol' >&2)
  echo "$print" >"$bin.fingerprint"
done

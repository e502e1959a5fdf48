#!/usr/bin/env bash
# Writes a JavaScript project for esbuild to bundle: N modules that import each other, each with
# objects, arrays, template strings and many locals (parsing, scoping and printing work for
# esbuild's maps and slices).  Usage: scripts/gen-js-project.sh DIR [N]
set -euo pipefail
dir=$1
n=${2:-2000}
mkdir -p "$dir"
for ((i = 0; i < n; i++)); do
  {
    deps=()
    for d in $((i * 7 % n)) $((i * 13 % n)) $(((i + 1) % n)); do
      ((d > i)) && deps+=("$d")
    done
    for d in "${deps[@]}"; do echo "import { f$d } from './m$d.js';"; done
    echo "export function f$i(x) {"
    echo "  const obj = { a: $i, b: 'str$i', c: [1, 2, 3].map(v => v * x) };"
    for ((k = 0; k < 40; k++)); do
      echo "  const v$k = (x + $k) * $i + obj.a; if (v$k % 7 === 3) { obj['k$k'] = \`t\${v$k}\`; }"
    done
    ret="obj.a"
    for d in "${deps[@]}"; do ret+=" + f$d(x + 1)"; done
    echo "  return $ret;"
    echo "}"
  } >"$dir/m$i.js"
done
printf "import { f0 } from './m0.js';\nconsole.log(f0(1));\n" >"$dir/index.js"

#!/bin/sh
# `fabula check` against rinklecate 2.1 (the Rust port of ink's compiler)
# on the same generated story, side by side (issue #11: at least 30x).
# Needs hyperfine and `cargo install rinklecate --version 2.1.0`; figures
# in docs/PERFORMANCE.md.
#
#   sh benches/vs_ink.sh [SCENES [ROUNDS [OTHER_FABULA_BINARY...]]]
#
# Each round is one hyperfine run of every command, so a machine whose
# load changes shows in every command alike; other binaries (an older
# build, say) are timed in the same rounds.
set -eu
scenes=${1:-10000}
rounds=${2:-3}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
root=$(cd "$(dirname "$0")/.." && pwd)
fabula=$root/target/release/fabula
[ -x "$fabula" ] || cargo build --release --manifest-path "$root/Cargo.toml"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$fabula" gen --scenes "$scenes" > "$dir/gen.fab"
"$fabula" gen --scenes "$scenes" --ink > "$dir/gen.ink"
wc -c "$dir/gen.fab" "$dir/gen.ink"
# Both must be clean, or the comparison is of error paths.
"$fabula" check "$dir/gen.fab"
rinklecate -o "$dir/gen.json" "$dir/gen.ink"
fabulas=""
for other in "$fabula" "$@"; do
    fabulas="$fabulas|$other check $dir/gen.fab"
done
round=1
while [ "$round" -le "$rounds" ]; do
    echo "round $round of $rounds"
    (IFS='|'; set -f; hyperfine -N --warmup 2 --runs 10 \
        "rinklecate -o $dir/gen.json $dir/gen.ink" ${fabulas#|})
    round=$((round + 1))
done

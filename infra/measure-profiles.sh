#!/usr/bin/env bash
# How the release profile was chosen (README "Profiles"): builds a sample of functions under
# each candidate profile, from cold, in its own target dir, and reports build time, zip sizes,
# init time and memory (coldstart) and the cost of one argon2 verification (login's CPU).
# Run by `make measure-profiles`; takes about ten minutes per profile here (2 cores).
#
# A profile is "name opt-level lto codegen-units"; argon2 and blake2 stay at opt-level 3 in
# every profile (Cargo.toml), so login's hashing is never built for size.
set -euo pipefail
cd "$(dirname "$0")/.."

ARCH=${ARCH:-x86_64}
RUNS=${RUNS:-20}
OUT=${OUT:-target/profiles}
SAMPLE=${SAMPLE:-auth-login orders-place notifications-on-event catalog-publisher}
PROFILES=${PROFILES:-"o3-fat 3 fat 1|s-fat s fat 1|z-fat z fat 1|s-thin s thin 16|s-off s off 16"}

mkdir -p "$OUT"
cargo build -q -p bazaar-system --bin coldstart
report="$OUT/report.txt"
: >> "$report"
IFS='|' read -ra rows <<< "$PROFILES"
for row in "${rows[@]}"; do
  read -r name opt lto cgu <<< "$row"
  dir="$OUT/$name"
  echo "==> $name: opt-level=$opt lto=$lto codegen-units=$cgu ($SAMPLE)" | tee -a "$report"
  export CARGO_TARGET_DIR="$dir/target" CARGO_PROFILE_RELEASE_OPT_LEVEL="$opt" \
    CARGO_PROFILE_RELEASE_LTO="$lto" CARGO_PROFILE_RELEASE_CODEGEN_UNITS="$cgu"
  begun=$(date +%s)
  # shellcheck disable=SC2046
  cargo lambda build -q --release "--${ARCH/_/-}" --output-format zip --lambda-dir "$dir/lambda" \
    $(printf -- '-p %s ' $SAMPLE)
  cold=$(( $(date +%s) - begun ))
  # A one-line change in one function: only that binary relinks.
  echo "// touched $(date +%s%N)" >> functions/orders/place/src/main.rs
  begun=$(date +%s)
  cargo lambda build -q --release "--${ARCH/_/-}" --output-format zip --lambda-dir "$dir/lambda" \
    $(printf -- '-p %s ' $SAMPLE)
  warm=$(( $(date +%s) - begun ))
  git checkout -q -- functions/orders/place/src/main.rs
  echo "cold build ${cold}s for $(wc -w <<< "$SAMPLE") functions; one function changed: ${warm}s" | tee -a "$report"
  for f in $SAMPLE; do
    printf '%-26s zip %s bytes\n' "$f" "$(stat -c %s "$dir/lambda/$f/bootstrap.zip")" | tee -a "$report"
  done
  unset CARGO_TARGET_DIR
  # shellcheck disable=SC2086
  target/debug/coldstart --runs "$RUNS" --lambda-dir "$dir/lambda" $SAMPLE \
    2>&1 | tee -a "$report"
  # Built as the functions are (cargo lambda: same target, linker and flags), so only auth-core relinks.
  CARGO_TARGET_DIR="$dir/target" cargo lambda build -q --release "--${ARCH/_/-}" --lambda-dir "$dir/lambda" \
    -p auth-core --example password_cost
  "$dir/lambda/password_cost/bootstrap" | tee -a "$report"
done
echo "report: $report"

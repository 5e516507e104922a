#!/usr/bin/env bash
# Compiles src/ to dist/ with tsc. @frost-beta/mlx 0.0.7 ships its nn/optimizers modules as .ts
# sources (not .d.ts), so tsc type-checks them under our strict settings and reports errors in
# node_modules that are not ours; only errors in our own files fail the build.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$(npx tsc -p tsconfig.json "$@" 2>&1)
# With --noEmit (npm run typecheck), the tests and benchmarks are type-checked too.
if [[ " $* " == *" --noEmit "* ]]; then out+=$'\n'$(npx tsc -p test/tsconfig.json 2>&1); fi
ours=$(printf '%s\n' "$out" | grep -E '^(src|test)/' || true)
if [ -n "$ours" ]; then
  printf '%s\n' "$out" | awk '/^node_modules\//{skip=1; next} /^[^ ]/{skip=0} !skip' >&2
  exit 1
fi
exit 0

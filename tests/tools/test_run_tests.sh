#!/usr/bin/env bash
# test_run_tests.sh - the test runner's totals can be trusted: run against
# a fake build tree (MX_TEST_BUILD) whose cmocka binaries are small
# scripts, tests/run-tests must count a binary that crashes after printing
# its PASSED summary as failed, a missing binary as failed, a cmocka skip
# as skipped, a ThreadSanitizer ERROR as failed, and an empty build as a
# failure rather than "0 passed, 0 failed". Exits 0 when every check passed.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_run_tests.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

. "$ROOT/tests/tools/check.sh"

# fake NAME BODY: a cmocka-like binary under the fake tree.
fake() {
	mkdir -p "$(dirname "$TMP/build/$1")"
	printf '#!/bin/bash\n%s\n' "$2" >"$TMP/build/$1"
	chmod +x "$TMP/build/$1"
}
passing='echo "[==========] 2 test(s) run."; echo "[  PASSED  ] 2 test(s)."'
for src in "$ROOT"/tests/unit/test_*.c; do
	fake "asan/tests/$(basename "$src" .c)" "$passing"
done
tsan_bins() {
	sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$ROOT/Makefile" | sed -n 's|^TSAN_BINS *:= *||p'
}
for t in $(tsan_bins); do
	fake "tsan/tests/$(basename "$t")" "$passing"
done
# Every fuzz target replays its corpus with exit 0.
for src in "$ROOT"/tests/fuzz/fuzz_*.c; do
	fake "asan/replay/$(basename "$src" .c)" 'exit 0'
done
units=("$ROOT"/tests/unit/test_*.c)
crash=$(basename "${units[0]}" .c)
skipper=$(basename "${units[1]}" .c)
missing=$(basename "${units[2]}" .c)
tsan=$(basename "$(tsan_bins | awk '{print $1}')")

runner() { MX_TEST_BUILD=$TMP/build "$ROOT/tests/run-tests" "$@" >"$TMP/out" 2>&1; }

runner unit fuzz
rc=$?
check "a clean fake tree passes (exit $rc; $(tail -n1 "$TMP/out"))" test "$rc" = 0

fake "asan/tests/$crash" "$passing"'; kill -ABRT $$'
fake "asan/tests/$skipper" 'echo "[  PASSED  ] 1 test(s)."; echo "[  SKIPPED ] 1 test(s), listed below:"; echo "[  SKIPPED ] t_needs_root"'
rm "$TMP/build/asan/tests/$missing"
fake "tsan/tests/$tsan" "$passing"'; echo "==1==ERROR: ThreadSanitizer: SEGV on unknown address" >&2'
runner unit
rc=$?
# The runner's output goes to the log only on a failed check, the sanitizer
# names masked (the runner itself scans this log for them).
show() { sed -e 's/^/    /' -e 's/Sanitizer/-Sanitizer-/g' "$TMP/out"; }
check "exit status non-zero (got $rc)" test "$rc" != 0
check "a binary killed after its PASSED summary fails" \
	grep -q "FAIL  $crash: 2 passed, 1 failed, killed by signal 6" "$TMP/out"
check "a missing binary fails, named" grep -q "FAIL  $missing (not built" "$TMP/out"
check "a cmocka skip counts as skipped" grep -q "ok    $skipper: 1 cases, 1 skipped" "$TMP/out"
check "a ThreadSanitizer ERROR line fails" grep -q "FAIL  tsan-$tsan: 2 passed, 1 failed, a sanitizer report" "$TMP/out"
check "the totals say 3 failed and 1 skipped" grep -q "^[0-9]* passed, 3 failed, 1 skipped$" "$TMP/out"

# No build at all: "unit fuzz" must not end in 0 passed, 0 failed and exit 0.
rm -rf "$TMP/build"
mkdir -p "$TMP/build"
runner unit fuzz
rc=$?
check "no build: exit non-zero (got $rc; $(tail -n1 "$TMP/out"))" test "$rc" != 0
check "no build: every missing binary counted as failed" \
	test "$(grep -c '^  FAIL .*not built' "$TMP/out")" = \
	"$(($(ls "$ROOT"/tests/unit/test_*.c "$ROOT"/tests/fuzz/fuzz_*.c | wc -l) + $(tsan_bins | wc -w)))"

[ "$failed" -eq 0 ] || show
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]

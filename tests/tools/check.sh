# check.sh - the pass/fail bookkeeping of the shell tests in tests/tools,
# sourced by each: check DESCRIPTION COMMAND... runs COMMAND and prints
# "ok - DESCRIPTION" or "not ok - DESCRIPTION", counting both in $pass and
# $failed (which start at 0 here).
pass=0 failed=0
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
		echo "ok - $what"
	else
		failed=$((failed + 1))
		echo "not ok - $what"
	fi
}

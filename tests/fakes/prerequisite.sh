# prerequisite.h's rule for sh tests: a missing prerequisite skips the test on
# a developer's machine and fails it under CI (CI=true, any case, or 1).
#
#   source "${TEST_SRCDIR:?}/${TEST_WORKSPACE:?}/tests/fakes/prerequisite.sh"
#   command -v node >/dev/null || missing "node is not installed"
missing() {
  case "${CI:-}" in
    [Tt][Rr][Uu][Ee] | 1) echo "FAIL: $1" >&2; exit 1 ;;
    *) echo "SKIP: $1" >&2; exit 0 ;;
  esac
}

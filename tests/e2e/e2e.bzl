"""What the tests that run the end-to-end lab (tests/e2e) share."""

# Tags of a test that runs the lab: manual and exclusive (it needs root and
# the whole machine), and external: it depends on Debian's daemons, which
# Bazel cannot see, so its result is never taken from a cache.
E2E_TAGS = [
    "e2e",
    "exclusive",
    "external",
    "manual",
    "no-sandbox",
]

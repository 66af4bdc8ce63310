"""check_glue_test: a plugin's *_check_test, run against FakeCheckContext."""

def check_glue_test(name, srcs, deps = [], size = "small", **kwargs):
    """A cc_test of one check's glue with the usual test support.

    Args:
      name: the test, "<check>_check_test".
      srcs: its sources.
      deps: the check's library and anything else it needs.
      size: Bazel test size.
      **kwargs: passed to cc_test.
    """
    native.cc_test(
        name = name,
        size = size,
        srcs = srcs,
        deps = deps + [
            "//checks:check",
            "//checks/testing:check_test_util",
            "//checks/testing:fake_check_context",
            "//proto/mtasts/v1:mtasts_cc_proto",
            "//tests/fakes:fake_dns_server",
            "@system//:abseil",
            "@system//:gtest_main",
        ],
        **kwargs
    )

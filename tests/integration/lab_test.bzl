"""lab_test: an integration test of the real server in a TestLab."""

def lab_test(name, srcs, deps = [], size = "medium", **kwargs):
    """A cc_test against TestLab (test_lab.h) with the usual support.

    Args:
      name: the test.
      srcs: its sources.
      deps: the fakes and anything else it needs beyond the lab.
      size: Bazel test size.
      **kwargs: passed to cc_test.
    """
    native.cc_test(
        name = name,
        size = size,
        srcs = srcs,
        deps = deps + [
            ":test_lab",
            "//proto/mtasts/v1:mtasts_cc_proto",
            "@system//:abseil",
            "@system//:gtest_main",
        ],
        **kwargs
    )

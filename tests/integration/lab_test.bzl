"""lab_test: an integration test of the real server in a TestLab."""

# What every lab test links: the lab (test_lab.h), the API and gtest's main.
LAB_TEST_DEPS = [
    ":test_lab",
    "//proto/mtasts/v1:mtasts_cc_proto",
    "@system//:abseil",
    "@system//:gtest_main",
]

def lab_test(name, deps = [], size = "medium", **kwargs):
    """The cc_test `name` of <name>.cc, with LAB_TEST_DEPS added to `deps`.

    Other arguments (data, tags, ...) go to cc_test as they are.
    """
    native.cc_test(
        name = name,
        srcs = [name + ".cc"],
        size = size,
        deps = deps + LAB_TEST_DEPS,
        **kwargs
    )

"""check_plugin: what every check folder (checks/<check>/) declares last."""

# What every plugin's glue test links besides the plugin: the contract,
# FakeCheckContext and the fake DNS server it points at, gtest's main.
_GLUE_TEST_DEPS = [
    "//checks:check",
    "//checks/testing:check_test_util",
    "//checks/testing:fake_check_context",
    "//proto/mtasts/v1:mtasts_cc_proto",
    "//tests/fakes:fake_dns_server",
    "@system//:abseil",
    "@system//:gtest_main",
]

def check_plugin(name, deps, test_deps = [], also_visible_to = []):
    """The plugin `name` (<name>.cc, .h) and its glue test <name>_test.

    A check is one folder: its pure judges (declared before this), then the
    plugin that implements the contract (//checks:check) over them, listed
    by //checks:registry only, and its test against FakeCheckContext.

    Args:
      name: the plugin, "<check>_check".
      deps: what the plugin uses besides //checks:check.
      test_deps: what <name>_test.cc uses besides the plugin and
        _GLUE_TEST_DEPS (fake servers, certificates).
      also_visible_to: who besides //checks:registry may depend on it.
    """
    native.cc_library(
        name = name,
        srcs = [name + ".cc"],
        hdrs = [name + ".h"],
        visibility = ["//checks:__pkg__"] + also_visible_to,
        deps = deps + ["//checks:check"],
    )
    native.cc_test(
        name = name + "_test",
        size = "small",
        srcs = [name + "_test.cc"],
        deps = [":" + name] + test_deps + _GLUE_TEST_DEPS,
    )

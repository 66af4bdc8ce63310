"""fuzz_test: a fuzz target run as an ordinary cc_test by `bazel test`.

With the default driver (//tools:fuzz_driver, which supplies main()), srcs
define LLVMFuzzerTestOneInput; the test runs it on every file of the seed
directory, then on a few thousand deterministic mutations of them
(FUZZ_DRIVER_RUNS changes how many). The same source builds the
coverage-guided libFuzzer binary: see tools/build_fuzzers.sh.

    load("//bazel:fuzz.bzl", "fuzz_test")

    fuzz_test(
        name = "sts_record_fuzzer",
        srcs = ["sts_record_fuzzer.cc"],
        deps = [":sts_record"],
    )

A target with its own generator and main (a gtest) passes driver and
seeds = None instead.
"""

def fuzz_test(
        name,
        srcs,
        deps = [],
        seeds = "testdata/fuzz_seeds",
        driver = "//tools:fuzz_driver",
        size = "small",
        tags = [],
        **kwargs):
    """A cc_test that runs srcs' fuzz target on its seeds and their mutations.

    Args:
      name: the test's name (by convention the fuzz target's, <thing>_fuzzer).
      srcs: the fuzz target (defines LLVMFuzzerTestOneInput).
      deps: what the target needs; the driver is added.
      seeds: the seed directory, relative to the package. Must hold at least
        one file: a fuzz test without seeds would mutate an empty input only.
        None when the driver brings its own inputs.
      driver: the cc_library that provides main().
      size: the test size.
      tags: added to "fuzz" (`bazel test --test_tag_filters=fuzz //...` runs
        every fuzz test alone).
      **kwargs: passed to cc_test (timeout, visibility, ...).
    """
    args = []
    data = []
    if seeds != None:
        # Relative to the runfiles root, where the test starts.
        args = [native.package_name() + "/" + seeds]
        data = native.glob([seeds + "/*"], allow_empty = False)
    native.cc_test(
        name = name,
        size = size,
        srcs = srcs,
        args = args,
        data = data,
        tags = ["fuzz"] + tags,
        deps = deps + [driver],
        **kwargs
    )

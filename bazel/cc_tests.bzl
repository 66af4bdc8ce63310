"""cc_tests: one cc_test per source file, all over the same deps."""

def cc_tests(names, deps, size = "small", **kwargs):
    """The cc_test <name> of <name>.cc for every name in `names`.

    For one subject's tests split into files by aspect, over the same
    libraries and fixture.

    Args:
      names: the tests, each built from <name>.cc.
      deps: what every one of them links.
      size: Bazel test size.
      **kwargs: passed to every cc_test.
    """
    for name in names:
        native.cc_test(
            name = name,
            size = size,
            srcs = [name + ".cc"],
            deps = deps,
            **kwargs
        )

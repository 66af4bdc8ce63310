"""pytest_test: a test of the Python client, run by run_pytest.sh."""

# What every test of the client reads: the layer, the generated modules, the
# examples and the shared fixtures (conftest.py).
PY_TEST_DATA = [
    "tests/conftest.py",
    ":examples",
    ":mtasts_client_srcs",
    ":mtasts_py_gen",
]

def pytest_test(name, tests, size, data = [], **kwargs):
    """An sh_test running pytest (run_pytest.sh) over `tests`, in that order.

    Args:
      name: the test.
      tests: the pytest files (tests/*.py), the script's arguments.
      size: Bazel test size.
      data: what the tests need besides PY_TEST_DATA and their own files.
      **kwargs: passed to sh_test (tags, ...).
    """
    native.sh_test(
        name = name,
        size = size,
        srcs = ["run_pytest.sh"],
        args = tests,
        data = PY_TEST_DATA + tests + data,
        deps = ["//tests/fakes:prerequisite_sh"],
        **kwargs
    )

"""e2e_lab_test: a test that runs the end-to-end lab (tests/e2e)."""

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

def e2e_lab_test(name, srcs, data = [], size = "medium"):
    """An sh_test over the lab's files, given the server and the CLI.

    Its arguments are the paths of //server:mtasts_server and
    //clients/cli:mtasts, in that order.

    Args:
      name: the test.
      srcs: its script.
      data: what it needs besides the lab (//tests/e2e:lab_files) and the
        two binaries.
      size: Bazel test size.
    """
    native.sh_test(
        name = name,
        size = size,
        srcs = srcs,
        args = [
            "$(location //server:mtasts_server)",
            "$(location //clients/cli:mtasts)",
        ],
        data = data + [
            "//clients/cli:mtasts",
            "//server:mtasts_server",
            "//tests/e2e:lab_files",
        ],
        tags = E2E_TAGS,
    )

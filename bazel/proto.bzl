"""One macro for every proto target: protoc and grpc_cpp_plugin from Debian.

Bazel 4.2.3's native proto rules would download protobuf's sources, so the
generators installed by Debian (protobuf-compiler, protobuf-compiler-grpc) run
from a genrule instead. Imports are rooted at //proto, so a file's import path
is e.g. "mtasts/v1/report.proto" and C++ includes "mtasts/v1/report.pb.h".
"""

def mtasts_proto_library(name, srcs, deps = [], grpc = False, visibility = None, testonly = False):
    """Generates <name> (a cc_library) from srcs.

    Args:
      name: the cc_library's name.
      srcs: .proto files in this package.
      deps: other mtasts_proto_library targets whose .proto files these import.
      grpc: also generate gRPC service code.
      visibility: of the cc_library and of the <name>_srcs filegroup.
      testonly: passed through.
    """
    pkg = native.package_name()
    if not pkg.startswith("proto/") and not pkg.startswith("tests/"):
        fail("mtasts_proto_library expects a package under //proto or //tests")
    root = pkg.split("/")[0]
    rel = pkg[len(root) + 1:]
    stems = [s[:-len(".proto")] for s in srcs]
    outs = []
    for s in stems:
        outs += [s + ".pb.h", s + ".pb.cc"]
        if grpc:
            outs += [s + ".grpc.pb.h", s + ".grpc.pb.cc"]

    plugin = "--plugin=protoc-gen-grpc=$(location @system//:grpc_cpp_plugin) --grpc_out=$(GENDIR)/" + root + " " if grpc else ""
    native.genrule(
        name = name + "_gen",
        srcs = srcs + [d + "_srcs" for d in deps],
        outs = outs,
        tools = ["@system//:protoc", "@system//:grpc_cpp_plugin"],
        cmd = ("$(location @system//:protoc) -I" + root + " -I/usr/include " +
               "--cpp_out=$(GENDIR)/" + root + " " + plugin +
               " ".join([root + "/" + rel + "/" + s for s in srcs])),
        testonly = testonly,
    )
    native.filegroup(
        name = name + "_srcs",
        srcs = srcs + [d + "_srcs" for d in deps],
        visibility = visibility,
        testonly = testonly,
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        strip_include_prefix = "/" + root,
        deps = deps + ["@system//:protobuf"] + (["@system//:grpc"] if grpc else []),
        visibility = visibility,
        testonly = testonly,
    )

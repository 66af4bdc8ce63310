// api_compat: the mtasts.v1 contract against its golden copy.
//
//   api_compat check  <golden> <descriptor set>   exit 1 on a breaking change
//   api_compat update <golden> <descriptor set>   rewrites golden; refuses a
//                                                 breaking change (exit 1)
// Under `bazel run`, a relative golden path is taken from the workspace
// (BUILD_WORKSPACE_DIRECTORY), so the checked-in copy is the one updated.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "google/protobuf/descriptor.pb.h"
#include "tools/api_compat/api_surface.h"

namespace {

bool Read(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream s;
  s << in.rdbuf();
  *out = s.str();
  return true;
}

int Usage() {
  fprintf(stderr, "usage: api_compat check|update <golden> <descriptor set>\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) return Usage();
  const std::string mode = argv[1];
  if (mode != "check" && mode != "update") return Usage();
  std::string golden_path = argv[2];
  if (const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
      mode == "update" && workspace != nullptr && golden_path[0] != '/') {
    golden_path = std::string(workspace) + "/" + golden_path;
  }

  std::string bytes;
  google::protobuf::FileDescriptorSet set;
  if (!Read(argv[3], &bytes) || !set.ParseFromString(bytes)) {
    fprintf(stderr, "api_compat: %s is not a readable descriptor set\n", argv[3]);
    return 2;
  }
  auto current = mtasts::api_compat::ApiSurface(set, "mtasts.v1");
  if (!current.ok()) {
    fprintf(stderr, "api_compat: %s\n", std::string(current.status().message()).c_str());
    return 2;
  }
  std::string golden_text;
  // update may create the first copy; check needs one.
  if (!Read(golden_path, &golden_text) && mode == "check") {
    fprintf(stderr, "api_compat: cannot read the golden copy %s\n", golden_path.c_str());
    return 2;
  }
  const auto comparison =
      mtasts::api_compat::Compare(mtasts::api_compat::ParseGolden(golden_text), *current);

  if (!comparison.breaking.empty()) {
    fprintf(stderr,
            "api_compat: %zu breaking change(s) to mtasts.v1 against %s.\n"
            "Clients built from the golden copy would misread or lose data. Put the old\n"
            "definition back (to retire a field: `reserved <number>; reserved \"<name>\";`\n"
            "and a new number for a new field), or start mtasts.v2.\n",
            comparison.breaking.size(), argv[2]);
    for (const std::string& b : comparison.breaking) fprintf(stderr, "  %s\n", b.c_str());
    return 1;
  }
  if (mode == "check") {
    if (!comparison.added.empty()) {
      fprintf(stderr,
              "api_compat: %zu addition(s) not yet in %s (compatible); record them with\n"
              "  bazel run //tools/api_compat:update_golden\n",
              comparison.added.size(), argv[2]);
      for (const std::string& a : comparison.added) fprintf(stderr, "  + %s\n", a.c_str());
    }
    printf("api_compat: mtasts.v1 is compatible with %s\n", argv[2]);
    return 0;
  }
  std::ofstream out(golden_path, std::ios::trunc);
  out << mtasts::api_compat::GoldenText(*current);
  out.close();
  if (!out) {
    fprintf(stderr, "api_compat: cannot write %s\n", golden_path.c_str());
    return 2;
  }
  printf("api_compat: %s updated, %zu addition(s)\n", golden_path.c_str(),
         comparison.added.size());
  for (const std::string& a : comparison.added) printf("  + %s\n", a.c_str());
  return 0;
}

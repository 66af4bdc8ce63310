// proto/mtasts/v1 follows the style rules; each rule catches what
// testdata/bad_style.proto breaks.
//   proto_style_test <mtasts_v1.protoset> <bad_style.protoset>
#include "tools/api_compat/proto_style.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtasts::api_compat {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

std::string mtasts_set_path;
std::string bad_set_path;

google::protobuf::FileDescriptorSet Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  google::protobuf::FileDescriptorSet set;
  EXPECT_TRUE(set.ParseFromString(bytes.str())) << path;
  return set;
}

TEST(ProtoStyleTest, MtastsV1FollowsTheRules) {
  auto problems = StyleProblems(Load(mtasts_set_path), "mtasts.v1");
  ASSERT_TRUE(problems.ok()) << problems.status();
  EXPECT_TRUE(problems->empty()) << problems->size() << " style problem(s) in proto/mtasts/v1:\n"
                                 << absl::StrJoin(*problems, "\n");
}

TEST(ProtoStyleTest, EachRuleCatchesItsBreak) {
  auto problems = StyleProblems(Load(bad_set_path), "styletest.v1");
  ASSERT_TRUE(problems.ok()) << problems.status();
  const std::string all = absl::StrJoin(*problems, "\n");
  auto has = [&](const std::string& text) { EXPECT_THAT(all, HasSubstr(text)); };
  auto lacks = [&](const std::string& text) { EXPECT_THAT(all, Not(HasSubstr(text))); };
  has("enum value styletest.v1.COLOUR_RED: has no comment");
  has("message styletest.v1.Uncommented: has no comment");
  has("field styletest.v1.Uncommented.camelCase: has no comment");
  has("field styletest.v1.Uncommented.camelCase: name not lower_snake_case");
  has("enum value styletest.v1.CIRCLE: zero value is not SHAPE_UNSPECIFIED");
  has("enum value styletest.v1.square: name not UPPER_SNAKE_CASE");
  has("field styletest.v1.PaintRequest.nested: type PaintRequest is an RPC's request");
  has("rpc styletest.v1.Painter.Draw: has no comment");
  has("rpc styletest.v1.Painter.Draw: takes DrawInput, want DrawRequest");
  has("rpc styletest.v1.Painter.Draw: returns a request type PaintRequest");
  // What is right is not reported.
  lacks("COLOUR_UNSPECIFIED");
  lacks("FULL");  // documented as the default
  lacks("PaintResponse.y");  // a trailing comment counts
  lacks("fine_name");
  lacks("Painter.Paint:");
  // The file:line points at the element.
  has("bad_style.proto:31: field styletest.v1.Uncommented.camelCase");
}

TEST(ProtoStyleTest, ASetWithoutSourceInfoIsRefused) {
  auto set = Load(bad_set_path);
  for (auto& f : *set.mutable_file()) f.clear_source_code_info();
  EXPECT_FALSE(StyleProblems(set, "styletest.v1").ok());
}

}  // namespace
}  // namespace mtasts::api_compat

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 3) return 2;
  mtasts::api_compat::mtasts_set_path = argv[1];
  mtasts::api_compat::bad_set_path = argv[2];
  return RUN_ALL_TESTS();
}

#include "tools/api_compat/api_surface.h"

#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace mtasts::api_compat {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using google::protobuf::FileDescriptorProto;
using google::protobuf::FileDescriptorSet;

// A small API in the shape of mtasts.v1: messages, a oneof, a map, an enum,
// a reserved number, a service with a streaming RPC, file options.
constexpr char kBase[] = R"pb(
  name: "demo/v1/demo.proto"
  package: "demo.v1"
  syntax: "proto3"
  options { go_package: "example.com/demo/v1;demov1" java_multiple_files: true }
  message_type {
    name: "Req"
    field { name: "domain" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "domain" }
    field { name: "tags" number: 2 label: LABEL_REPEATED type: TYPE_STRING json_name: "tags" }
    reserved_range { start: 5 end: 6 }
  }
  message_type {
    name: "Event"
    field { name: "grade" number: 1 label: LABEL_OPTIONAL type: TYPE_ENUM type_name: ".demo.v1.Grade" oneof_index: 0 json_name: "grade" }
    field { name: "note" number: 2 label: LABEL_OPTIONAL type: TYPE_STRING oneof_index: 0 json_name: "note" }
    oneof_decl { name: "event" }
  }
  enum_type {
    name: "Grade"
    value { name: "GRADE_UNSPECIFIED" number: 0 }
    value { name: "GRADE_A" number: 1 }
  }
  service {
    name: "Svc"
    method { name: "Get" input_type: ".demo.v1.Req" output_type: ".demo.v1.Event" }
    method { name: "StreamAll" input_type: ".demo.v1.Req" output_type: ".demo.v1.Event" client_streaming: true server_streaming: true }
  }
)pb";

std::vector<std::string> Surface(const std::function<void(FileDescriptorProto*)>& edit) {
  FileDescriptorSet set;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(kBase, set.add_file()));
  if (edit) edit(set.mutable_file(0));
  auto lines = ApiSurface(set, set.file(0).package());
  EXPECT_TRUE(lines.ok()) << lines.status();
  return lines.ok() ? *lines : std::vector<std::string>{};
}

Comparison Against(const std::function<void(FileDescriptorProto*)>& edit) {
  return Compare(Surface(nullptr), Surface(edit));
}

TEST(ApiSurfaceTest, OneReadableLinePerElement) {
  EXPECT_THAT(Surface(nullptr),
              ElementsAre("file demo/v1/demo.proto syntax = proto3",
                          "file demo/v1/demo.proto package = demo.v1",
                          "file demo/v1/demo.proto option java_multiple_files = true",
                          "file demo/v1/demo.proto option go_package = \"example.com/demo/v1;demov1\"",
                          "message demo.v1.Req",
                          "field demo.v1.Req.domain = 1 optional string",
                          "field demo.v1.Req.tags = 2 repeated string",
                          "reserved demo.v1.Req 5",
                          "message demo.v1.Event",
                          "field demo.v1.Event.grade = 1 optional enum .demo.v1.Grade oneof event",
                          "field demo.v1.Event.note = 2 optional string oneof event",
                          "enum demo.v1.Grade",
                          "value demo.v1.Grade.GRADE_UNSPECIFIED = 0",
                          "value demo.v1.Grade.GRADE_A = 1",
                          "service demo.v1.Svc",
                          "rpc demo.v1.Svc.Get = (.demo.v1.Req) returns (.demo.v1.Event)",
                          "rpc demo.v1.Svc.StreamAll = (stream .demo.v1.Req) returns (stream "
                          ".demo.v1.Event)"));
}

TEST(ApiSurfaceTest, UnchangedIsCompatible) {
  Comparison c = Against([](FileDescriptorProto*) {});
  EXPECT_THAT(c.breaking, IsEmpty());
  EXPECT_THAT(c.added, IsEmpty());
}

TEST(ApiSurfaceTest, AdditionsPass) {
  Comparison c = Against([](FileDescriptorProto* f) {
    auto* field = f->mutable_message_type(0)->add_field();
    field->set_name("options");
    field->set_number(3);
    field->set_label(google::protobuf::FieldDescriptorProto::LABEL_OPTIONAL);
    field->set_type(google::protobuf::FieldDescriptorProto::TYPE_BOOL);
    auto* value = f->mutable_enum_type(0)->add_value();
    value->set_name("GRADE_B");
    value->set_number(2);
    auto* rpc = f->mutable_service(0)->add_method();
    rpc->set_name("Ping");
    rpc->set_input_type(".demo.v1.Req");
    rpc->set_output_type(".demo.v1.Event");
    f->add_message_type()->set_name("Recommendation");
  });
  EXPECT_THAT(c.breaking, IsEmpty());
  EXPECT_THAT(c.added, ElementsAre("field demo.v1.Req.options = 3 optional bool",
                                   "message demo.v1.Recommendation",
                                   "value demo.v1.Grade.GRADE_B = 2",
                                   "rpc demo.v1.Svc.Ping = (.demo.v1.Req) returns (.demo.v1.Event)"));
}

TEST(ApiSurfaceTest, RenumberedFieldBreaks) {
  Comparison c = Against([](FileDescriptorProto* f) {
    f->mutable_message_type(0)->mutable_field(0)->set_number(3);
  });
  ASSERT_EQ(c.breaking.size(), 1u);
  EXPECT_THAT(c.breaking[0], HasSubstr("changed: field demo.v1.Req.domain = 1 optional string"));
  EXPECT_THAT(c.breaking[0], HasSubstr("now: field demo.v1.Req.domain = 3 optional string"));
}

TEST(ApiSurfaceTest, RemovedFieldBreaks) {
  Comparison c = Against([](FileDescriptorProto* f) {
    f->mutable_message_type(0)->mutable_field()->RemoveLast();
  });
  EXPECT_THAT(c.breaking, ElementsAre("removed: field demo.v1.Req.tags = 2 repeated string"));
}

TEST(ApiSurfaceTest, RenamedFieldBreaks) {  // JSON and text format use the name
  Comparison c = Against([](FileDescriptorProto* f) {
    f->mutable_message_type(0)->mutable_field(0)->set_name("host");
  });
  EXPECT_THAT(c.breaking, ElementsAre("removed: field demo.v1.Req.domain = 1 optional string"));
}

TEST(ApiSurfaceTest, ChangedTypeLabelOrOneofBreaks) {
  EXPECT_EQ(Against([](FileDescriptorProto* f) {
              f->mutable_message_type(0)->mutable_field(0)->set_type(
                  google::protobuf::FieldDescriptorProto::TYPE_BYTES);
            }).breaking.size(),
            1u);
  EXPECT_EQ(Against([](FileDescriptorProto* f) {
              f->mutable_message_type(0)->mutable_field(0)->set_label(
                  google::protobuf::FieldDescriptorProto::LABEL_REPEATED);
            }).breaking.size(),
            1u);
  EXPECT_EQ(Against([](FileDescriptorProto* f) {
              f->mutable_message_type(1)->mutable_field(1)->clear_oneof_index();
            }).breaking.size(),
            1u);
}

TEST(ApiSurfaceTest, RemovedOrRenumberedEnumValueBreaks) {
  EXPECT_THAT(Against([](FileDescriptorProto* f) {
                f->mutable_enum_type(0)->mutable_value()->RemoveLast();
              }).breaking,
              ElementsAre("removed: value demo.v1.Grade.GRADE_A = 1"));
  EXPECT_EQ(Against([](FileDescriptorProto* f) {
              f->mutable_enum_type(0)->mutable_value(1)->set_number(7);
            }).breaking.size(),
            1u);
}

TEST(ApiSurfaceTest, RemovedOrChangedRpcBreaks) {
  EXPECT_THAT(Against([](FileDescriptorProto* f) {
                f->mutable_service(0)->mutable_method()->RemoveLast();
              }).breaking,
              ElementsAre(HasSubstr("removed: rpc demo.v1.Svc.StreamAll")));
  EXPECT_THAT(Against([](FileDescriptorProto* f) {
                f->mutable_service(0)->mutable_method(0)->set_server_streaming(true);
              }).breaking,
              ElementsAre(HasSubstr("changed: rpc demo.v1.Svc.Get")));
}

TEST(ApiSurfaceTest, ChangedPackageBreaks) {
  FileDescriptorSet moved;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(kBase, moved.add_file()));
  moved.mutable_file(0)->set_package("demo.v2");
  // Type names follow the package.
  for (auto& m : *moved.mutable_file(0)->mutable_message_type()) {
    for (auto& f : *m.mutable_field()) {
      if (f.has_type_name()) f.set_type_name(".demo.v2.Grade");
    }
  }
  for (auto& rpc : *moved.mutable_file(0)->mutable_service(0)->mutable_method()) {
    rpc.set_input_type(".demo.v2.Req");
    rpc.set_output_type(".demo.v2.Event");
  }
  auto lines = ApiSurface(moved, "demo.v2");
  ASSERT_TRUE(lines.ok()) << lines.status();
  Comparison c = Compare(Surface(nullptr), *lines);
  EXPECT_THAT(c.breaking, ::testing::Contains(HasSubstr("package = demo.v1")));
  EXPECT_THAT(c.breaking, ::testing::Contains(HasSubstr("removed: message demo.v1.Req")));
}

TEST(ApiSurfaceTest, ChangedOrRemovedOptionBreaksAndAddedOptionPasses) {
  EXPECT_THAT(Against([](FileDescriptorProto* f) {
                f->mutable_options()->set_go_package("example.com/other");
              }).breaking,
              ElementsAre(HasSubstr("changed: file demo/v1/demo.proto option go_package")));
  EXPECT_THAT(Against([](FileDescriptorProto* f) {
                f->mutable_options()->clear_java_multiple_files();
              }).breaking,
              ElementsAre(HasSubstr("removed: file demo/v1/demo.proto option java_multiple_files")));
  Comparison deprecated = Against([](FileDescriptorProto* f) {
    f->mutable_message_type(0)->mutable_field(1)->mutable_options()->set_deprecated(true);
  });
  EXPECT_THAT(deprecated.breaking, IsEmpty());
  EXPECT_THAT(deprecated.added,
              ElementsAre("field demo.v1.Req.tags option deprecated = true"));
}

TEST(ApiSurfaceTest, DroppedReservationBreaks) {
  EXPECT_THAT(Against([](FileDescriptorProto* f) {
                f->mutable_message_type(0)->clear_reserved_range();
              }).breaking,
              ElementsAre("removed: reserved demo.v1.Req 5"));
}

TEST(ApiSurfaceTest, GoldenTextRoundTrips) {
  const std::vector<std::string> lines = Surface(nullptr);
  const std::string text = GoldenText(lines);
  EXPECT_THAT(text, HasSubstr("bazel run //tools/api_compat:update_golden"));
  EXPECT_EQ(ParseGolden(text), lines);
}

TEST(ApiSurfaceTest, ASetMissingAnImportIsAnError) {
  FileDescriptorSet set;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(kBase, set.add_file()));
  set.mutable_file(0)->add_dependency("google/protobuf/duration.proto");
  EXPECT_FALSE(ApiSurface(set, "demo.v1").ok());
}

}  // namespace
}  // namespace mtasts::api_compat

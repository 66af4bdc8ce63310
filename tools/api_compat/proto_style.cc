#include "tools/api_compat/proto_style.h"

#include <functional>
#include <regex>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"

namespace mtasts::api_compat {
namespace {

using google::protobuf::FileDescriptor;

const std::regex& LowerSnake() {
  static const std::regex re("[a-z][a-z0-9]*(_[a-z0-9]+)*");
  return re;
}
const std::regex& UpperCamel() {
  static const std::regex re("[A-Z][A-Za-z0-9]*");
  return re;
}
const std::regex& UpperSnake() {
  static const std::regex re("[A-Z][A-Z0-9]*(_[A-Z0-9]+)*");
  return re;
}

// "MtaStsState" -> "MTA_STS_STATE".
std::string ToUpperSnake(const std::string& camel) {
  std::string out;
  for (size_t i = 0; i < camel.size(); ++i) {
    const char c = camel[i];
    if (i > 0 && absl::ascii_isupper(c) &&
        (absl::ascii_islower(camel[i - 1]) || absl::ascii_isdigit(camel[i - 1]))) {
      out += '_';
    }
    out += absl::ascii_toupper(c);
  }
  return out;
}

class Checker {
 public:
  explicit Checker(std::vector<std::string>* problems) : problems_(problems) {}

  template <typename D>
  std::string Comment(const D* d) {
    google::protobuf::SourceLocation loc;
    if (!d->GetSourceLocation(&loc)) return "";
    return std::string(absl::StripAsciiWhitespace(
        absl::StrCat(loc.leading_comments, " ", loc.trailing_comments)));
  }

  template <typename D>
  void Problem(const D* d, const std::string& what, const std::string& rule) {
    google::protobuf::SourceLocation loc;
    const int line = d->GetSourceLocation(&loc) ? loc.start_line + 1 : 0;
    problems_->push_back(absl::StrCat(d->file()->name(), ":", line, ": ", what, " ",
                                      d->full_name(), ": ", rule));
  }

  template <typename D>
  void NeedsComment(const D* d, const std::string& what) {
    if (Comment(d).empty()) Problem(d, what, "has no comment");
  }

  void Enum(const google::protobuf::EnumDescriptor* e) {
    NeedsComment(e, "enum");
    if (!std::regex_match(e->name(), UpperCamel())) Problem(e, "enum", "name not UpperCamelCase");
    for (int i = 0; i < e->value_count(); ++i) {
      const auto* v = e->value(i);
      NeedsComment(v, "enum value");
      if (!std::regex_match(v->name(), UpperSnake())) {
        Problem(v, "enum value", "name not UPPER_SNAKE_CASE");
      }
      if (v->number() == 0 && v->name() != ToUpperSnake(e->name()) + "_UNSPECIFIED" &&
          !absl::StrContains(absl::AsciiStrToLower(Comment(v)), "default")) {
        Problem(v, "enum value",
                absl::StrCat("zero value is not ", ToUpperSnake(e->name()),
                             "_UNSPECIFIED and its comment does not document it as the default"));
      }
    }
  }

  void Message(const google::protobuf::Descriptor* m) {
    if (m->options().map_entry()) return;  // made up by protoc for a map field
    NeedsComment(m, "message");
    if (!std::regex_match(m->name(), UpperCamel())) {
      Problem(m, "message", "name not UpperCamelCase");
    }
    for (int i = 0; i < m->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* f = m->field(i);
      NeedsComment(f, "field");
      if (!std::regex_match(f->name(), LowerSnake())) {
        Problem(f, "field", "name not lower_snake_case");
      }
      if (f->message_type() != nullptr) {
        const std::string& type = f->message_type()->name();
        if (absl::EndsWith(type, "Request") || absl::EndsWith(type, "Response")) {
          Problem(f, "field", absl::StrCat("type ", type, " is an RPC's request or response"));
        }
      }
    }
    for (int i = 0; i < m->nested_type_count(); ++i) Message(m->nested_type(i));
    for (int i = 0; i < m->enum_type_count(); ++i) Enum(m->enum_type(i));
  }

  void File(const FileDescriptor* file) {
    for (int i = 0; i < file->message_type_count(); ++i) Message(file->message_type(i));
    for (int i = 0; i < file->enum_type_count(); ++i) Enum(file->enum_type(i));
    for (int i = 0; i < file->service_count(); ++i) {
      const auto* s = file->service(i);
      NeedsComment(s, "service");
      if (!std::regex_match(s->name(), UpperCamel())) {
        Problem(s, "service", "name not UpperCamelCase");
      }
      for (int j = 0; j < s->method_count(); ++j) {
        const auto* rpc = s->method(j);
        NeedsComment(rpc, "rpc");
        if (!std::regex_match(rpc->name(), UpperCamel())) {
          Problem(rpc, "rpc", "name not UpperCamelCase");
        }
        std::string want = rpc->name() + "Request";
        if (rpc->client_streaming() && absl::StartsWith(rpc->name(), "Stream")) {
          want = std::string(absl::StripPrefix(rpc->name(), "Stream")) + "Request";
        }
        if (rpc->input_type()->name() != want) {
          Problem(rpc, "rpc",
                  absl::StrCat("takes ", rpc->input_type()->name(), ", want ", want));
        }
        if (absl::EndsWith(rpc->output_type()->name(), "Request")) {
          Problem(rpc, "rpc", absl::StrCat("returns a request type ", rpc->output_type()->name()));
        }
        if (absl::EndsWith(rpc->input_type()->name(), "Response")) {
          Problem(rpc, "rpc", absl::StrCat("takes a response type ", rpc->input_type()->name()));
        }
      }
    }
  }

 private:
  std::vector<std::string>* problems_;
};

}  // namespace

absl::StatusOr<std::vector<std::string>> StyleProblems(
    const google::protobuf::FileDescriptorSet& set, absl::string_view package) {
  google::protobuf::DescriptorPool pool;
  std::vector<const FileDescriptor*> files;
  for (const auto& proto : set.file()) {
    const FileDescriptor* file = pool.BuildFile(proto);
    if (file == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("descriptor set: cannot build ", proto.name()));
    }
    if (proto.package() != package) continue;
    if (!proto.has_source_code_info()) {
      return absl::InvalidArgumentError(
          absl::StrCat(proto.name(), " has no source info (protoc --include_source_info)"));
    }
    files.push_back(file);
  }
  if (files.empty()) return absl::NotFoundError(absl::StrCat("no file of package ", package));
  std::vector<std::string> problems;
  Checker checker(&problems);
  for (const FileDescriptor* file : files) checker.File(file);
  return problems;
}

}  // namespace mtasts::api_compat

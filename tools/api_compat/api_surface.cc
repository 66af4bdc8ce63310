#include "tools/api_compat/api_surface.h"

#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/text_format.h"

namespace mtasts::api_compat {
namespace {

using google::protobuf::FieldDescriptorProto;

// protoc's default JSON name: underscores dropped, the next letter upper case.
std::string DefaultJsonName(const std::string& name) {
  std::string out;
  bool upper = false;
  for (char c : name) {
    if (c == '_') {
      upper = true;
    } else {
      out += upper ? absl::ascii_toupper(c) : c;
      upper = false;
    }
  }
  return out;
}

// One "<prefix> option <name> = <value>" line per option set, so that adding
// an option is an addition and changing one a break.
void AddOptions(const std::string& prefix, const google::protobuf::Message& options,
                std::vector<std::string>* lines) {
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  options.GetReflection()->ListFields(options, &fields);
  for (const auto* f : fields) {
    std::string value;
    if (f->is_repeated()) {
      std::vector<std::string> values;
      for (int i = 0; i < options.GetReflection()->FieldSize(options, f); ++i) {
        std::string v;
        google::protobuf::TextFormat::PrintFieldValueToString(options, f, i, &v);
        values.push_back(v);
      }
      value = absl::StrCat("[", absl::StrJoin(values, ", "), "]");
    } else {
      google::protobuf::TextFormat::PrintFieldValueToString(options, f, -1, &value);
    }
    lines->push_back(absl::StrCat(prefix, " option ", f->name(), " = ", value));
  }
  // Custom options this binary does not know arrive as unknown fields.
  if (!options.GetReflection()->GetUnknownFields(options).empty()) {
    std::string unknown;
    google::protobuf::TextFormat::Printer printer;
    printer.SetSingleLineMode(true);
    google::protobuf::UnknownFieldSet copy;
    copy.MergeFrom(options.GetReflection()->GetUnknownFields(options));
    printer.PrintUnknownFieldsToString(copy, &unknown);
    lines->push_back(absl::StrCat(prefix, " option unknown = ",
                                  absl::StripAsciiWhitespace(unknown)));
  }
}

std::string Label(FieldDescriptorProto::Label label) {
  switch (label) {
    case FieldDescriptorProto::LABEL_REPEATED:
      return "repeated";
    case FieldDescriptorProto::LABEL_REQUIRED:
      return "required";
    default:
      return "optional";
  }
}

std::string Type(const FieldDescriptorProto& f) {
  if (f.type() == FieldDescriptorProto::TYPE_MESSAGE) return "message " + f.type_name();
  if (f.type() == FieldDescriptorProto::TYPE_ENUM) return "enum " + f.type_name();
  if (f.type() == FieldDescriptorProto::TYPE_GROUP) return "group " + f.type_name();
  std::string name = FieldDescriptorProto::Type_Name(f.type());
  return absl::AsciiStrToLower(absl::StripPrefix(name, "TYPE_"));
}

void AddEnum(const std::string& scope, const google::protobuf::EnumDescriptorProto& e,
             std::vector<std::string>* lines) {
  const std::string name = absl::StrCat(scope, ".", e.name());
  lines->push_back("enum " + name);
  if (e.has_options()) AddOptions("enum " + name, e.options(), lines);
  for (const auto& v : e.value()) {
    const std::string value = absl::StrCat("value ", name, ".", v.name());
    lines->push_back(absl::StrCat(value, " = ", v.number()));
    if (v.has_options()) AddOptions(value, v.options(), lines);
  }
  for (const auto& r : e.reserved_range()) {  // inclusive end for enums
    lines->push_back(r.start() == r.end()
                         ? absl::StrCat("reserved ", name, " ", r.start())
                         : absl::StrCat("reserved ", name, " ", r.start(), " to ", r.end()));
  }
  for (const auto& n : e.reserved_name()) {
    lines->push_back(absl::StrCat("reserved ", name, " \"", n, "\""));
  }
}

void AddMessage(const std::string& scope, const google::protobuf::DescriptorProto& m,
                std::vector<std::string>* lines) {
  const std::string name = absl::StrCat(scope, ".", m.name());
  lines->push_back("message " + name);
  if (m.has_options()) AddOptions("message " + name, m.options(), lines);
  for (const auto& f : m.field()) {
    const std::string field = absl::StrCat("field ", name, ".", f.name());
    std::string line =
        absl::StrCat(field, " = ", f.number(), " ", Label(f.label()), " ", Type(f));
    if (f.has_oneof_index() && !f.proto3_optional()) {
      absl::StrAppend(&line, " oneof ", m.oneof_decl(f.oneof_index()).name());
    }
    if (f.proto3_optional()) absl::StrAppend(&line, " proto3_optional");
    if (f.has_json_name() && f.json_name() != DefaultJsonName(f.name())) {
      absl::StrAppend(&line, " json_name ", f.json_name());
    }
    if (f.has_default_value()) absl::StrAppend(&line, " default ", f.default_value());
    lines->push_back(line);
    if (f.has_options()) AddOptions(field, f.options(), lines);
  }
  for (const auto& r : m.reserved_range()) {  // exclusive end for messages
    lines->push_back(r.end() - r.start() == 1
                         ? absl::StrCat("reserved ", name, " ", r.start())
                         : absl::StrCat("reserved ", name, " ", r.start(), " to ", r.end() - 1));
  }
  for (const auto& n : m.reserved_name()) {
    lines->push_back(absl::StrCat("reserved ", name, " \"", n, "\""));
  }
  for (const auto& nested : m.nested_type()) AddMessage(name, nested, lines);
  for (const auto& e : m.enum_type()) AddEnum(name, e, lines);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ApiSurface(
    const google::protobuf::FileDescriptorSet& set, absl::string_view package) {
  // Building the files proves the set is whole and consistent.
  google::protobuf::DescriptorPool pool;
  for (const google::protobuf::FileDescriptorProto& file : set.file()) {
    if (pool.BuildFile(file) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("descriptor set: cannot build ", file.name()));
    }
  }
  std::vector<std::string> lines;
  for (const google::protobuf::FileDescriptorProto& file : set.file()) {
    if (file.package() != package) continue;
    const std::string prefix = "file " + file.name();
    lines.push_back(absl::StrCat(prefix, " syntax = ", file.syntax().empty() ? "proto2" : file.syntax()));
    lines.push_back(absl::StrCat(prefix, " package = ", file.package()));
    if (file.has_options()) AddOptions(prefix, file.options(), &lines);
    const std::string scope(package);
    for (const auto& m : file.message_type()) AddMessage(scope, m, &lines);
    for (const auto& e : file.enum_type()) AddEnum(scope, e, &lines);
    for (const auto& s : file.service()) {
      const std::string service = absl::StrCat(scope, ".", s.name());
      lines.push_back("service " + service);
      if (s.has_options()) AddOptions("service " + service, s.options(), &lines);
      for (const auto& rpc : s.method()) {
        const std::string method = absl::StrCat("rpc ", service, ".", rpc.name());
        lines.push_back(absl::StrCat(method, " = (", rpc.client_streaming() ? "stream " : "",
                                     rpc.input_type(), ") returns (",
                                     rpc.server_streaming() ? "stream " : "", rpc.output_type(),
                                     ")"));
        if (rpc.has_options()) AddOptions(method, rpc.options(), &lines);
      }
    }
  }
  if (lines.empty()) {
    return absl::NotFoundError(absl::StrCat("no file of package ", package, " in the set"));
  }
  return lines;
}

std::string ElementKey(absl::string_view line) {
  const size_t eq = line.find(" = ");
  return std::string(eq == absl::string_view::npos ? line : line.substr(0, eq));
}

Comparison Compare(const std::vector<std::string>& golden,
                   const std::vector<std::string>& current) {
  std::map<std::string, std::string> now;
  for (const std::string& line : current) now.emplace(ElementKey(line), line);
  std::map<std::string, std::string> before;
  Comparison result;
  for (const std::string& line : golden) {
    if (line.empty() || line[0] == '#') continue;
    const std::string key = ElementKey(line);
    before.emplace(key, line);
    auto it = now.find(key);
    if (it == now.end()) {
      result.breaking.push_back(absl::StrCat("removed: ", line));
    } else if (it->second != line) {
      result.breaking.push_back(absl::StrCat("changed: ", line, "\n      now: ", it->second));
    }
  }
  for (const std::string& line : current) {
    if (before.count(ElementKey(line)) == 0) result.added.push_back(line);
  }
  return result;
}

std::string GoldenText(const std::vector<std::string>& lines) {
  return absl::StrCat(
      "# The mtasts.v1 wire contract (tools/api_compat). Generated; do not edit.\n"
      "# //tools/api_compat:mtasts_v1_compat_test fails when proto/mtasts/v1 removes or\n"
      "# changes any line below; additions pass. After adding fields, values, messages\n"
      "# or RPCs (also after a merge, whichever side of a conflict here was kept):\n"
      "#   bazel run //tools/api_compat:update_golden\n"
      "# which refuses breaking changes and appends nothing but additions.\n",
      absl::StrJoin(lines, "\n"), "\n");
}

std::vector<std::string> ParseGolden(absl::string_view text) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripTrailingAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    lines.emplace_back(line);
  }
  return lines;
}

}  // namespace mtasts::api_compat

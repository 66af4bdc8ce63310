#include "clients/cli/json.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"

namespace mtasts::cli {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::EnumValueDescriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::FileDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;

// The ranges protobuf's JSON printer accepts (google/protobuf/util/internal
// constants): 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, and +-10,000
// years for a Duration.
constexpr int64_t kTimestampMinSeconds = -62135596800;
constexpr int64_t kTimestampMaxSeconds = 253402300799;
constexpr int64_t kDurationMaxSeconds = 315576000000;
constexpr int32_t kNanosPerSecond = 1000000000;

// One code point of valid UTF-8 at s[*i], advancing *i; false for anything
// else (overlong forms, surrogates, beyond U+10FFFF, cut sequences). Strict on
// purpose: protobuf's escaper decodes these cases differently (it drops some
// bytes and passes others through), so such strings go to its printer.
bool NextCodePoint(absl::string_view s, size_t* i, uint32_t* cp) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t lead = byte(*i);
  int extra;
  uint32_t min;
  if (lead < 0x80) {
    *cp = lead;
    ++*i;
    return true;
  } else if (lead >= 0xc2 && lead <= 0xdf) {
    extra = 1, min = 0x80, *cp = lead & 0x1f;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    extra = 2, min = 0x800, *cp = lead & 0x0f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    extra = 3, min = 0x10000, *cp = lead & 0x07;
  } else {
    return false;
  }
  if (*i + extra >= s.size()) return false;  // Cut short.
  for (int k = 1; k <= extra; ++k) {
    uint8_t b = byte(*i + k);
    if ((b & 0xc0) != 0x80) return false;
    *cp = (*cp << 6) | (b & 0x3f);
  }
  if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff)) {
    return false;
  }
  *i += extra + 1;
  return true;
}

void AppendHex4(uint32_t v, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[6] = {'\\', 'u', kHex[(v >> 12) & 0xf], kHex[(v >> 8) & 0xf],
                 kHex[(v >> 4) & 0xf], kHex[v & 0xf]};
  out->append(buf, sizeof buf);
}

// Appends s as a JSON string with protobuf's escapes (its json_escaping.cc):
// besides '"', '\\' and the C0 controls (\b \t \n \f \r by name), it writes
// \u escapes for '<', '>', U+007F-U+009F and a list of invisible or
// direction-changing code points, so that the output is safe inside HTML and
// JavaScript. False when s is not valid UTF-8.
// Bytes copied as they are without a closer look: printable ASCII but for
// '"', '\\', '<' and '>'. One table load per byte on the hot path (a
// report's text is almost all of its JSON).
struct PlainBytes {
  bool plain[256] = {};
  constexpr PlainBytes() {
    for (int c = 0x20; c < 0x7f; ++c) plain[c] = c != '"' && c != '\\' && c != '<' && c != '>';
  }
};
constexpr PlainBytes kPlain;

bool AppendString(absl::string_view s, std::string* out) {
  out->push_back('"');
  size_t i = 0;
  size_t run = 0;  // Start of the bytes not yet copied.
  while (i < s.size()) {
    if (kPlain.plain[static_cast<uint8_t>(s[i])]) {
      ++i;
      continue;
    }
    size_t start = i;
    uint32_t cp;
    if (!NextCodePoint(s, &i, &cp)) return false;
    bool escape = true;
    switch (cp) {
      case '"': case '\\': case '\b': case '\t': case '\n': case '\f':
      case '\r': case '<': case '>':
        break;
      default:
        escape = cp < 0xa0 || cp == 0x00ad || cp == 0x06dd || cp == 0x070f ||
                 cp == 0x17b4 || cp == 0x17b5 || cp == 0xfeff ||
                 (cp >= 0xfff9 && cp <= 0xfffb) ||
                 (cp >= 0x0600 && cp <= 0x0603) ||
                 (cp >= 0x200b && cp <= 0x200f) ||
                 (cp >= 0x2028 && cp <= 0x202e) ||
                 (cp >= 0x2060 && cp <= 0x2064) ||
                 (cp >= 0x206a && cp <= 0x206f) || cp == 0xe0001 ||
                 (cp >= 0x1d173 && cp <= 0x1d17a) ||
                 (cp >= 0xe0020 && cp <= 0xe007f);
    }
    if (!escape) continue;
    out->append(s.data() + run, start - run);
    run = i;
    switch (cp) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\t': out->append("\\t"); break;
      case '\n': out->append("\\n"); break;
      case '\f': out->append("\\f"); break;
      case '\r': out->append("\\r"); break;
      default:
        if (cp >= 0x10000) {  // A surrogate pair, as protobuf writes it.
          AppendHex4(0xd800 + ((cp - 0x10000) >> 10), out);
          AppendHex4(0xdc00 + ((cp - 0x10000) & 0x3ff), out);
        } else {
          AppendHex4(cp, out);
        }
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
  return true;
}

// protobuf's SimpleDtoa / SimpleFtoa: the shortest of %.{DIG}g and
// %.{DIG+2 for double, +3 for float}g that reads back as the same value.
template <typename Real>
void AppendReal(Real v, std::string* out) {
  if (!std::isfinite(v)) {
    out->append(std::isnan(v) ? "\"NaN\"" : v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  constexpr bool kFloat = std::is_same_v<Real, float>;
  constexpr int kDigits = kFloat ? FLT_DIG : DBL_DIG;
  char buf[32];
  snprintf(buf, sizeof buf, "%.*g", kDigits, static_cast<double>(v));
  const Real back = kFloat ? strtof(buf, nullptr) : strtod(buf, nullptr);
  if (back != v) snprintf(buf, sizeof buf, "%.*g", kDigits + (kFloat ? 3 : 2), static_cast<double>(v));
  out->append(buf);
}

// ".500", ".500123" or ".500123456": the fewest of 3, 6 or 9 digits.
void AppendNanos(int32_t nanos, std::string* out) {
  char buf[16];
  if (nanos % 1000000 == 0) {
    snprintf(buf, sizeof buf, ".%03d", nanos / 1000000);
  } else if (nanos % 1000 == 0) {
    snprintf(buf, sizeof buf, ".%06d", nanos / 1000);
  } else {
    snprintf(buf, sizeof buf, ".%09d", nanos);
  }
  out->append(buf);
}

bool AppendTimestamp(const Message& m, std::string* out) {
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  int64_t seconds = r->GetInt64(m, d->FindFieldByNumber(1));
  int32_t nanos = r->GetInt32(m, d->FindFieldByNumber(2));
  if (seconds < kTimestampMinSeconds || seconds > kTimestampMaxSeconds ||
      nanos < 0 || nanos >= kNanosPerSecond) {
    return false;
  }
  absl::CivilSecond t =
      absl::ToCivilSecond(absl::FromUnixSeconds(seconds), absl::UTCTimeZone());
  char buf[32];
  snprintf(buf, sizeof buf, "\"%04d-%02d-%02dT%02d:%02d:%02d",
           static_cast<int>(t.year()), t.month(), t.day(), t.hour(),
           t.minute(), t.second());
  out->append(buf);
  if (nanos != 0) AppendNanos(nanos, out);
  out->append("Z\"");
  return true;
}

bool AppendDuration(const Message& m, std::string* out) {
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  int64_t seconds = r->GetInt64(m, d->FindFieldByNumber(1));
  int32_t nanos = r->GetInt32(m, d->FindFieldByNumber(2));
  // protobuf refuses out-of-range values and seconds < 0 < nanos, and prints
  // seconds > 0 > nanos as garbage: both left to it.
  if (seconds < -kDurationMaxSeconds || seconds > kDurationMaxSeconds ||
      nanos <= -kNanosPerSecond || nanos >= kNanosPerSecond ||
      (seconds < 0 && nanos > 0) || (seconds > 0 && nanos < 0)) {
    return false;
  }
  out->push_back('"');
  if (seconds < 0 || nanos < 0) out->push_back('-');
  absl::StrAppend(out, seconds < 0 ? -seconds : seconds);
  if (nanos != 0) AppendNanos(nanos < 0 ? -nanos : nanos, out);
  out->append("s\"");
  return true;
}

bool AppendMessage(const Message& m, std::string* out);

bool AppendValue(const Message& m, const Reflection* r, const FieldDescriptor* f,
                 int index, std::string* out) {
  const bool rep = index >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      absl::StrAppend(out, rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
      return true;
    case FieldDescriptor::CPPTYPE_UINT32:
      absl::StrAppend(out, rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
      return true;
    case FieldDescriptor::CPPTYPE_INT64:  // 64-bit numbers are strings in JSON.
      absl::StrAppend(out, "\"", rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f), "\"");
      return true;
    case FieldDescriptor::CPPTYPE_UINT64:
      absl::StrAppend(out, "\"", rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f), "\"");
      return true;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      AppendReal(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f), out);
      return true;
    case FieldDescriptor::CPPTYPE_FLOAT:
      AppendReal(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f), out);
      return true;
    case FieldDescriptor::CPPTYPE_BOOL:
      out->append((rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false");
      return true;
    case FieldDescriptor::CPPTYPE_ENUM: {
      int number = rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f);
      const EnumValueDescriptor* value = f->enum_type()->FindValueByNumber(number);
      // A number this build does not name (a newer server): protobuf prints
      // the number.
      if (value == nullptr) return false;
      absl::StrAppend(out, "\"", value->name(), "\"");
      return true;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& s = rep ? r->GetRepeatedStringReference(m, f, index, &scratch)
                                 : r->GetStringReference(m, f, &scratch);
      return AppendString(s, out);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return AppendMessage(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f), out);
  }
  return false;
}

bool IsTime(const Descriptor* d) {
  return d != nullptr && (d->full_name() == "google.protobuf.Timestamp" ||
                          d->full_name() == "google.protobuf.Duration");
}

bool AppendField(const Message& m, const Reflection* r, const FieldDescriptor* f,
                 bool* first, std::string* out) {
  if (!*first) out->push_back(',');
  *first = false;
  absl::StrAppend(out, "\"", f->name(), "\":");
  if (!f->is_repeated()) return AppendValue(m, r, f, -1, out);
  out->push_back('[');
  const int n = r->FieldSize(m, f);
  for (int k = 0; k < n; ++k) {
    if (k > 0) out->push_back(',');
    if (!AppendValue(m, r, f, k, out)) return false;
  }
  out->push_back(']');
  return true;
}

bool AppendMessage(const Message& m, std::string* out) {
  const Descriptor* d = m.GetDescriptor();
  if (d->full_name() == "google.protobuf.Timestamp") return AppendTimestamp(m, out);
  if (d->full_name() == "google.protobuf.Duration") return AppendDuration(m, out);
  // Any, Struct, Value, wrappers, FieldMask, Empty...: their own JSON forms.
  if (d->file()->package() == "google.protobuf") return false;
  if (d->file()->syntax() != FileDescriptor::SYNTAX_PROTO3) return false;
  const Reflection* r = m.GetReflection();
  out->push_back('{');
  bool first = true;
  // protobuf's printer (its DefaultValueObjectWriter) lays out the fields in
  // declaration order, but a Timestamp or Duration it renders as a string
  // that does not fit the place it reserved for a message, so those that are
  // set come last, in field number (wire) order.
  const FieldDescriptor* times[8];
  int time_count = 0;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_map() || f->type() == FieldDescriptor::TYPE_BYTES) return false;
    if (!f->is_repeated() && (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE ||
                              f->containing_oneof() != nullptr) &&
        !r->HasField(m, f)) {
      // Absent messages, oneof members and proto3 `optional` fields are left
      // out; every other field is printed, with its default when unset.
      continue;
    }
    if (IsTime(f->message_type())) {
      if (f->is_repeated() || time_count == 8) return false;
      times[time_count++] = f;
      continue;
    }
    if (!AppendField(m, r, f, &first, out)) return false;
  }
  std::sort(times, times + time_count,
            [](const FieldDescriptor* a, const FieldDescriptor* b) {
              return a->number() < b->number();
            });
  for (int i = 0; i < time_count; ++i) {
    if (!AppendField(m, r, times[i], &first, out)) return false;
  }
  out->push_back('}');
  return true;
}

}  // namespace

bool AppendDirectJson(const Message& message, std::string* out) {
  const size_t size = out->size();
  // A top-level Timestamp or Duration is a JSON string, which protobuf's
  // printer also writes; only messages are this writer's business.
  const Descriptor* d = message.GetDescriptor();
  if (d->file()->package() == "google.protobuf" || !AppendMessage(message, out)) {
    out->resize(size);
    return false;
  }
  return true;
}

absl::StatusOr<std::string> ProtobufJson(const Message& message) {
  google::protobuf::util::JsonPrintOptions json;
  json.preserve_proto_field_names = true;
  json.always_print_primitive_fields = true;
  std::string text;
  auto status = google::protobuf::util::MessageToJsonString(message, &text, json);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("cannot print ", message.GetTypeName(),
                                            " as JSON: ", std::string(status.message())));
  }
  return text;
}

absl::StatusOr<std::string> MessageToJson(const Message& message) {
  std::string text;
  if (AppendDirectJson(message, &text)) return text;
  return ProtobufJson(message);
}

}  // namespace mtasts::cli

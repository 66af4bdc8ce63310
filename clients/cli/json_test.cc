// The direct JSON writer against protobuf's printer: the same text for every
// message, the direct path taken for everything a server sends in practice.
#include "clients/cli/json.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "mtasts/v1/service.pb.h"

namespace mtasts::cli {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;
using ::mtasts::v1::DomainReport;
using ::mtasts::v1::FleetEvent;

std::string Utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    s.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    s.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    s.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
  return s;
}

// Code points protobuf's escaper treats specially, and neighbours of each
// range's ends (which it must not escape).
std::vector<uint32_t> InterestingCodePoints() {
  std::vector<uint32_t> cps;
  for (uint32_t cp = 0; cp <= 0xa1; ++cp) cps.push_back(cp);
  for (uint32_t cp : {0xacu, 0xadu, 0xaeu, 0x5ffu, 0x600u, 0x603u, 0x604u,
                      0x6dcu, 0x6ddu, 0x6deu, 0x70fu, 0x17b3u, 0x17b4u, 0x17b5u,
                      0x17b6u, 0x200au, 0x200bu, 0x200fu, 0x2010u, 0x2027u,
                      0x2028u, 0x202eu, 0x202fu, 0x205fu, 0x2060u, 0x2064u,
                      0x2065u, 0x2069u, 0x206au, 0x206fu, 0x2070u, 0xd7ffu,
                      0xe000u, 0xfefeu, 0xfeffu, 0xff00u, 0xfff8u, 0xfff9u,
                      0xfffbu, 0xfffcu, 0xfffdu, 0xffffu, 0x10000u, 0x1d172u,
                      0x1d173u, 0x1d17au, 0x1d17bu, 0x1f600u, 0xe0000u, 0xe0001u,
                      0xe0002u, 0xe001fu, 0xe0020u, 0xe007fu, 0xe0080u,
                      0x10ffffu}) {
    cps.push_back(cp);
  }
  return cps;
}

class Filler {
 public:
  explicit Filler(uint32_t seed) : rng_(seed) {}

  // Also invalid UTF-8 (the direct writer then defers to protobuf).
  bool allow_invalid_utf8 = false;
  // Also enum numbers without a name, out-of-range Timestamps and Durations.
  bool allow_odd_values = false;

  void Fill(Message* m, int depth) {
    const Descriptor* d = m->GetDescriptor();
    const Reflection* r = m->GetReflection();
    if (d->full_name() == "google.protobuf.Timestamp") return FillTimestamp(m);
    if (d->full_name() == "google.protobuf.Duration") return FillDuration(m);
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && depth > 6) continue;
      if (f->is_repeated()) {
        int n = Pick(4);  // Empty lists included: printed as [].
        for (int k = 0; k < n; ++k) AddValue(m, r, f, depth);
      } else if (Pick(4) != 0) {  // Sometimes left unset.
        SetValue(m, r, f, depth);
      }
    }
  }

  std::string RandomString() {
    static const std::vector<std::string> kHostile = {
        "", "mx.example.com", "\"quoted\"", "back\\slash", "</script>",
        "a\nb\r\nc\td\be\ff", std::string("nul\0byte", 8), "\x7f", "caf\xc3\xa9",
        "\xe2\x80\xa8line\xe2\x80\xa9", "\xef\xbb\xbf" "bom", "\xf0\x9f\x98\x80",
        "xn--mnchen-3ya.de", "m\xc3\xbcnchen.de", "<>&'", "\\u0000"};
    std::string s;
    int parts = Pick(5);
    for (int k = 0; k < parts; ++k) {
      switch (Pick(4)) {
        case 0:
          s += kHostile[Pick(kHostile.size())];
          break;
        case 1: {
          static const std::vector<uint32_t> cps = InterestingCodePoints();
          s += Utf8(cps[Pick(cps.size())]);
          break;
        }
        case 2: {
          uint32_t cp = Pick(0x110000);
          if (cp >= 0xd800 && cp <= 0xdfff) cp = 'x';
          s += Utf8(cp);
          break;
        }
        default:
          if (allow_invalid_utf8 && Pick(3) == 0) {
            static const std::vector<std::string> kBad = {
                "\x80", "\xc3", "\xc3(", "\xc0\x80", "\xc1\x81", "\xed\xa0\x80",
                "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\xff", "\xe2\x82"};
            s += kBad[Pick(kBad.size())];
          } else {
            s += "plain text ";
          }
      }
    }
    return s;
  }

  double RandomDouble() {
    static const std::vector<double> kSpecial = {
        0.0, -0.0, 1.0, 0.1, 87.5, 1e20, 1e21, 1e-7, 123456789012345678.0,
        1.0 / 3.0, 2.0 / 3.0, 100.0, 99.99999999999999,
        std::numeric_limits<double>::max(), std::numeric_limits<double>::min(),
        std::numeric_limits<double>::denorm_min(), -2.5,
        std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity(),
        std::numeric_limits<double>::quiet_NaN()};
    switch (Pick(3)) {
      case 0:
        return kSpecial[Pick(kSpecial.size())];
      case 1:
        return std::uniform_real_distribution<double>(-1000, 1000)(rng_);
      default:
        return static_cast<double>(Pick(1000)) / 10.0;
    }
  }

  uint32_t Pick(size_t n) {
    return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_);
  }

 private:
  void FillTimestamp(Message* m) {
    auto* t = static_cast<google::protobuf::Timestamp*>(m);
    static const std::vector<int64_t> kSeconds = {
        0, 1, -1, 1796459962, 951782400 /* 2000-02-29 */, -62135596800,
        253402300799, 4102444800};
    t->set_seconds(Pick(2) ? kSeconds[Pick(kSeconds.size())]
                           : static_cast<int64_t>(Pick(2000000000)));
    static const std::vector<int32_t> kNanos = {0, 1, 1000, 1000000, 500000000,
                                                999999999, 123456789, 120000};
    t->set_nanos(kNanos[Pick(kNanos.size())]);
    if (allow_odd_values && Pick(6) == 0) {
      static const std::vector<std::pair<int64_t, int32_t>> kOdd = {
          {-62135596801, 0}, {253402300800, 0}, {0, -1}, {0, 1000000000}};
      auto [s, n] = kOdd[Pick(kOdd.size())];
      t->set_seconds(s);
      t->set_nanos(n);
    }
  }

  void FillDuration(Message* m) {
    auto* d = static_cast<google::protobuf::Duration*>(m);
    static const std::vector<std::pair<int64_t, int32_t>> kValid = {
        {0, 0}, {1, 0}, {0, 500000000}, {0, -500000000}, {-1, 0},
        {-1, -1000}, {12, 345000}, {315576000000, 999999999},
        {-315576000000, -999999999}, {3, 1}, {0, 7000000}};
    auto [s, n] = kValid[Pick(kValid.size())];
    if (Pick(3) == 0) s = Pick(100000), n = Pick(1000) * 1000000;
    d->set_seconds(s);
    d->set_nanos(n);
    if (allow_odd_values && Pick(6) == 0) {
      static const std::vector<std::pair<int64_t, int32_t>> kOdd = {
          {315576000001, 0}, {-315576000001, 0}, {0, 1000000000},
          {-1, 5}, {1, -5}, {0, -1000000000}};
      auto [os, on] = kOdd[Pick(kOdd.size())];
      d->set_seconds(os);
      d->set_nanos(on);
    }
  }

  int EnumNumber(const FieldDescriptor* f) {
    if (allow_odd_values && Pick(10) == 0) return 9999;
    const auto* e = f->enum_type();
    return e->value(Pick(e->value_count()))->number();
  }

  void SetValue(Message* m, const Reflection* r, const FieldDescriptor* f, int depth) {
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: r->SetInt32(m, f, static_cast<int32_t>(rng_())); break;
      case FieldDescriptor::CPPTYPE_UINT32: r->SetUInt32(m, f, rng_()); break;
      case FieldDescriptor::CPPTYPE_INT64: r->SetInt64(m, f, static_cast<int64_t>(rng_()) << Pick(32)); break;
      case FieldDescriptor::CPPTYPE_UINT64: r->SetUInt64(m, f, static_cast<uint64_t>(rng_()) << Pick(33)); break;
      case FieldDescriptor::CPPTYPE_DOUBLE: r->SetDouble(m, f, RandomDouble()); break;
      case FieldDescriptor::CPPTYPE_FLOAT: r->SetFloat(m, f, static_cast<float>(RandomDouble())); break;
      case FieldDescriptor::CPPTYPE_BOOL: r->SetBool(m, f, Pick(2)); break;
      case FieldDescriptor::CPPTYPE_ENUM: r->SetEnumValue(m, f, EnumNumber(f)); break;
      case FieldDescriptor::CPPTYPE_STRING: r->SetString(m, f, RandomString()); break;
      case FieldDescriptor::CPPTYPE_MESSAGE: Fill(r->MutableMessage(m, f), depth + 1); break;
    }
  }

  void AddValue(Message* m, const Reflection* r, const FieldDescriptor* f, int depth) {
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: r->AddInt32(m, f, static_cast<int32_t>(rng_())); break;
      case FieldDescriptor::CPPTYPE_UINT32: r->AddUInt32(m, f, rng_()); break;
      case FieldDescriptor::CPPTYPE_INT64: r->AddInt64(m, f, static_cast<int64_t>(rng_()) << Pick(32)); break;
      case FieldDescriptor::CPPTYPE_UINT64: r->AddUInt64(m, f, static_cast<uint64_t>(rng_()) << Pick(33)); break;
      case FieldDescriptor::CPPTYPE_DOUBLE: r->AddDouble(m, f, RandomDouble()); break;
      case FieldDescriptor::CPPTYPE_FLOAT: r->AddFloat(m, f, static_cast<float>(RandomDouble())); break;
      case FieldDescriptor::CPPTYPE_BOOL: r->AddBool(m, f, Pick(2)); break;
      case FieldDescriptor::CPPTYPE_ENUM: r->AddEnumValue(m, f, EnumNumber(f)); break;
      case FieldDescriptor::CPPTYPE_STRING: r->AddString(m, f, RandomString()); break;
      case FieldDescriptor::CPPTYPE_MESSAGE: Fill(r->AddMessage(m, f), depth + 1); break;
    }
  }

  std::mt19937 rng_;
};

// Both printers agree, errors included; returns whether the direct one wrote it.
bool ExpectSameJson(const Message& m) {
  absl::StatusOr<std::string> reference = ProtobufJson(m);
  absl::StatusOr<std::string> ours = MessageToJson(m);
  EXPECT_EQ(reference.ok(), ours.ok()) << m.DebugString();
  if (reference.ok() && ours.ok()) {
    EXPECT_EQ(*ours, *reference) << m.DebugString();
  } else if (!reference.ok() && !ours.ok()) {
    EXPECT_EQ(ours.status().message(), reference.status().message());
  }
  std::string direct = "prefix";
  bool wrote = AppendDirectJson(m, &direct);
  if (wrote) {
    EXPECT_TRUE(reference.ok()) << m.DebugString();
    if (reference.ok()) {
      EXPECT_EQ(direct, "prefix" + *reference);
    }
  } else {
    EXPECT_EQ(direct, "prefix") << "a refusal must leave the output as it was";
  }
  return wrote;
}

TEST(JsonTest, RandomEventsPrintTheSameAndTakeTheDirectPath) {
  Filler filler(20261205);
  int direct = 0;
  const int kEvents = 3000;
  for (int i = 0; i < kEvents; ++i) {
    FleetEvent event;
    // Every oneof member in turn, and sometimes none.
    switch (i % 4) {
      case 0: filler.Fill(event.mutable_result(), 0); break;
      case 1: filler.Fill(event.mutable_error(), 0); break;
      case 2: filler.Fill(event.mutable_summary(), 0); break;
      default: break;
    }
    direct += ExpectSameJson(event);
    if (::testing::Test::HasFailure()) break;  // One message is enough.
  }
  // Valid UTF-8, named enums and in-range times: nothing for protobuf's
  // printer to do.
  EXPECT_EQ(direct, kEvents);
}

TEST(JsonTest, OddValuesFallBackToProtobufWithTheSameResult) {
  Filler filler(7);
  filler.allow_invalid_utf8 = true;
  filler.allow_odd_values = true;
  int direct = 0, failed = 0;
  const int kEvents = 3000;
  for (int i = 0; i < kEvents; ++i) {
    FleetEvent event;
    filler.Fill(i % 2 ? static_cast<Message*>(event.mutable_result())
                      : static_cast<Message*>(event.mutable_summary()),
                0);
    direct += ExpectSameJson(event);
    failed += !ProtobufJson(event).ok();
    if (::testing::Test::HasFailure()) break;
  }
  // Both paths and protobuf's refusals were exercised.
  EXPECT_GT(direct, 0);
  EXPECT_LT(direct, kEvents);
  EXPECT_GT(failed, 0);
}

// Two lines of `mtasts fleet --json` from the fleet benchmark (a result with
// all seven checks, the summary) read back and printed again: the same bytes
// from both printers.
TEST(JsonTest, RealFleetEventsPrintAsTheyWereReceived) {
  std::ifstream in("clients/cli/testdata/fleet_events_all_checks.jsonl");
  ASSERT_TRUE(in) << "testdata missing";
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    FleetEvent event;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &event).ok());
    std::string direct;
    ASSERT_TRUE(AppendDirectJson(event, &direct));
    EXPECT_EQ(direct, line);
    EXPECT_EQ(*ProtobufJson(event), line);
    ++lines;
  }
  EXPECT_EQ(lines, 2);
}

TEST(JsonTest, EveryInterestingCodePointEscapesLikeProtobuf) {
  for (uint32_t cp : InterestingCodePoints()) {
    DomainReport report;
    report.set_summary(absl::StrCat("a", Utf8(cp), "b", Utf8(cp)));
    EXPECT_TRUE(ExpectSameJson(report)) << cp;
  }
  // Every BMP code point outside the surrogates, a few supplementary ones.
  std::string all;
  for (uint32_t cp = 1; cp < 0x20000; ++cp) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    all += Utf8(cp);
  }
  DomainReport report;
  report.set_summary(all);
  EXPECT_TRUE(ExpectSameJson(report));
}

TEST(JsonTest, KnownOutputForAHostileString) {
  FleetEvent event;
  event.mutable_error()->set_domain(std::string("<a\"\\\n\x01\x7f\xe2\x80\xa8\0", 11));
  std::string out;
  ASSERT_TRUE(AppendDirectJson(event, &out));
  EXPECT_EQ(out,
            "{\"error\":{\"tag\":\"\",\"domain\":"
            "\"\\u003ca\\\"\\\\\\n\\u0001\\u007f\\u2028\\u0000\","
            "\"code\":0,\"message\":\"\",\"domain_cut\":false}}");
}

TEST(JsonTest, EmptyMessagesPrintEveryDefault) {
  EXPECT_TRUE(ExpectSameJson(FleetEvent()));
  EXPECT_TRUE(ExpectSameJson(DomainReport()));
  FleetEvent event;
  event.mutable_result()->mutable_report()->mutable_evidence();
  EXPECT_TRUE(ExpectSameJson(event));
}

TEST(JsonTest, InvalidUtf8DefersToProtobuf) {
  for (const char* bad : {"\x80", "a\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    DomainReport report;
    report.set_domain(bad);
    EXPECT_FALSE(ExpectSameJson(report)) << bad;
  }
}

TEST(JsonTest, UnnamedEnumNumberDefersToProtobuf) {
  DomainReport report;
  report.set_grade(static_cast<v1::Grade>(77));
  EXPECT_FALSE(ExpectSameJson(report));
  EXPECT_NE(MessageToJson(report)->find("\"grade\":77"), std::string::npos);
}

TEST(JsonTest, TimesAtAndBeyondTheirLimits) {
  DomainReport report;
  report.mutable_checked_at()->set_seconds(253402300799);
  report.mutable_checked_at()->set_nanos(999999999);
  report.mutable_duration()->set_seconds(-315576000000);
  report.mutable_duration()->set_nanos(-999999999);
  EXPECT_TRUE(ExpectSameJson(report));
  EXPECT_NE(MessageToJson(report)->find("\"9999-12-31T23:59:59.999999999Z\""),
            std::string::npos);
  report.mutable_checked_at()->set_seconds(253402300800);  // Year 10000.
  EXPECT_FALSE(ExpectSameJson(report));
  EXPECT_FALSE(MessageToJson(report).ok());
  report.mutable_checked_at()->set_seconds(0);
  report.mutable_duration()->set_seconds(1);
  report.mutable_duration()->set_nanos(-1);  // Mixed signs.
  EXPECT_FALSE(ExpectSameJson(report));
}

TEST(JsonTest, NoMessageOfTheApiNeedsProtobufsPrinter) {
  // A map or bytes field added to the API would silently send every event
  // back through the slow printer; this names it instead.
  std::vector<const Descriptor*> todo = {FleetEvent::descriptor()};
  std::vector<const Descriptor*> seen;
  while (!todo.empty()) {
    const Descriptor* d = todo.back();
    todo.pop_back();
    if (std::find(seen.begin(), seen.end(), d) != seen.end()) continue;
    seen.push_back(d);
    if (d->file()->package() == "google.protobuf") {
      EXPECT_TRUE(d->full_name() == "google.protobuf.Timestamp" ||
                  d->full_name() == "google.protobuf.Duration")
          << d->full_name();
      continue;
    }
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      EXPECT_FALSE(f->is_map()) << f->full_name();
      EXPECT_NE(f->type(), FieldDescriptor::TYPE_BYTES) << f->full_name();
      if (f->message_type() != nullptr) todo.push_back(f->message_type());
    }
  }
  EXPECT_GT(seen.size(), 10u);
}

}  // namespace
}  // namespace mtasts::cli

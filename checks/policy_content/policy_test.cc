#include "checks/common/policy.h"
#include "checks/policy_content/policy_judge.h"

#include <cstdint>
#include <initializer_list>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtasts/v1/findings.pb.h"
#include "mtasts/v1/report.pb.h"

namespace mtasts::checks {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kUrl[] = "https://mta-sts.example.com/.well-known/mta-sts.txt";

// Lines joined with LF, each terminated.
std::string Lf(std::initializer_list<const char*> lines) {
  std::string out;
  for (const char* line : lines) absl::StrAppend(&out, line, "\n");
  return out;
}
// Lines joined with CRLF, each terminated.
std::string Crlf(std::initializer_list<const char*> lines) {
  std::string out;
  for (const char* line : lines) absl::StrAppend(&out, line, "\r\n");
  return out;
}

// A valid enforce policy with one extra line (LF), for one-defect cases.
std::string With(const std::string& extra) {
  return absl::StrCat("version: STSv1\nmode: enforce\nmx: mail.example.com\n",
                      extra, "\nmax_age: 604800\n");
}
// An enforce policy whose only mx line is `mx`.
std::string WithMx(const std::string& mx) {
  return absl::StrCat("version: STSv1\nmode: enforce\nmx: ", mx,
                      "\nmax_age: 604800\n");
}
// An enforce policy with `max_age`.
std::string WithMaxAge(const std::string& max_age) {
  return absl::StrCat("version: STSv1\nmode: enforce\nmx: mail.example.com\n",
                      "max_age: ", max_age, "\n");
}
// A policy with `mode` and `max_age`, one mx.
std::string WithMode(const std::string& mode, const std::string& max_age) {
  return absl::StrCat("version: STSv1\nmode: ", mode,
                      "\nmx: mail.example.com\nmax_age: ", max_age, "\n");
}

std::string Padded(size_t total) {
  std::string body =
      "version: STSv1\nmode: enforce\nmx: mail.example.com\n"
      "max_age: 604800\nx-padding: ";
  body.append(total - body.size() - 1, 'a');
  body += "\n";
  return body;
}

std::string ManyMx(int n) {
  std::string body = "version: STSv1\nmode: enforce\nmax_age: 604800\n";
  for (int i = 0; i < n; ++i)
    absl::StrAppend(&body, "mx: mx", i, ".example.com\n");
  return body;
}

std::vector<std::string> ManyMxNames(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back(absl::StrCat("mx", i, ".example.com"));
  return out;
}

using Codes = std::set<v1::FindingCode>;
constexpr v1::PolicyMode kEnforce = v1::POLICY_MODE_ENFORCE;
constexpr v1::PolicyMode kTesting = v1::POLICY_MODE_TESTING;
constexpr v1::PolicyMode kNone = v1::POLICY_MODE_NONE;
constexpr v1::PolicyMode kNoMode = v1::POLICY_MODE_UNSPECIFIED;
const std::vector<std::string> kMail = {"mail.example.com"};

struct PolicyCase {
  std::string name;
  std::string body;
  bool valid;
  v1::PolicyMode mode;
  int64_t max_age;
  std::vector<std::string> mx;
  Codes codes;
};

void PrintTo(const PolicyCase& c, std::ostream* os) { *os << c.name; }

const PolicyCase kCases[] = {
    // --- RFC 8461 §3.2 example and valid variants ---
    {"RfcExampleCrlf",
     Crlf({"version: STSv1", "mode: enforce", "mx: mail.example.com",
           "mx: *.example.net", "mx: backupmx.example.com", "max_age: 604800"}),
     true,
     kEnforce,
     604800,
     {"mail.example.com", "*.example.net", "backupmx.example.com"},
     {v1::POLICY_VALID}},
    {"RfcExampleLf",
     Lf({"version: STSv1", "mode: enforce", "mx: mail.example.com",
         "mx: *.example.net", "mx: backupmx.example.com", "max_age: 604800"}),
     true,
     kEnforce,
     604800,
     {"mail.example.com", "*.example.net", "backupmx.example.com"},
     {v1::POLICY_VALID}},
    {"MixedCrlfAndLf",
     "version: STSv1\r\nmode: enforce\nmx: mail.example.com\r\nmax_age: "
     "604800\n",
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID}},
    {"NoTrailingNewline",
     "version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 604800",
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID}},
    {"NoTrailingNewlineAfterMx",
     "version: STSv1\r\nmode: enforce\r\nmax_age: 604800\r\nmx: "
     "mail.example.com",
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID}},
    {"FieldsInAnyOrder",
     Lf({"max_age: 604800", "mx: mail.example.com", "mode: enforce",
         "version: STSv1"}),
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID}},
    {"NoSpaceAfterColon",
     Lf({"version:STSv1", "mode:enforce", "mx:mail.example.com",
         "max_age:604800"}),
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID}},
    {"TabsAfterColon",
     Lf({"version:\tSTSv1", "mode:\t\tenforce", "mx: \tmail.example.com",
         "max_age:\t604800"}),
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID}},
    {"TrailingWhitespace",
     "version: STSv1 \nmode: enforce\t\nmx: mail.example.com  \r\nmax_age: "
     "604800 \t \n",
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID}},
    {"BlankLinesBetweenFields",
     "version: STSv1\n\nmode: enforce\n \t \nmx: mail.example.com\r\n\r\n"
     "max_age: 604800\n",
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID}},
    {"TrailingBlankLines",
     WithMaxAge("604800") + "\n\n\r\n",
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID}},
    {"LeadingBlankLine",
     "\n" + WithMaxAge("604800"),
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID}},
    {"MaxAgeAtLimit",
     WithMaxAge("31557600"),
     true,
     kEnforce,
     31557600,
     kMail,
     {v1::POLICY_VALID}},
    {"MaxAgeLeadingZerosTenDigits",
     WithMaxAge("0000604800"),
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID}},
    {"EnforceMaxAgeOneDay",
     WithMaxAge("86400"),
     true,
     kEnforce,
     86400,
     kMail,
     {v1::POLICY_VALID}},
    {"WildcardPattern",
     WithMx("*.example.com"),
     true,
     kEnforce,
     604800,
     {"*.example.com"},
     {v1::POLICY_VALID}},
    {"IdnALabelPattern",
     WithMx("xn--bcher-kva.example"),
     true,
     kEnforce,
     604800,
     {"xn--bcher-kva.example"},
     {v1::POLICY_VALID}},
    {"UpperCaseMxPattern",
     WithMx("MAIL.Example.COM"),
     true,
     kEnforce,
     604800,
     {"MAIL.Example.COM"},
     {v1::POLICY_VALID}},
    {"ManyMxLines",
     ManyMx(50),
     true,
     kEnforce,
     604800,
     ManyMxNames(50),
     {v1::POLICY_VALID}},
    {"RepeatedMxValue",
     With("mx: mail.example.com"),
     true,
     kEnforce,
     604800,
     {"mail.example.com", "mail.example.com"},
     {v1::POLICY_VALID}},

    // --- Choices to revisit in a valid policy ---
    {"ModeNoneWithoutMx",
     Lf({"version: STSv1", "mode: none", "max_age: 86400"}),
     true,
     kNone,
     86400,
     {},
     {v1::POLICY_VALID, v1::POLICY_NONE_MODE}},
    {"ModeNoneWithMx",
     WithMode("none", "86400"),
     true,
     kNone,
     86400,
     kMail,
     {v1::POLICY_VALID, v1::POLICY_NONE_MODE}},
    {"TestingOneDay",
     WithMode("testing", "86400"),
     true,
     kTesting,
     86400,
     kMail,
     {v1::POLICY_VALID, v1::POLICY_TESTING_MODE}},
    {"TestingOneWeekIsNotTooLong",
     WithMode("testing", "604800"),
     true,
     kTesting,
     604800,
     kMail,
     {v1::POLICY_VALID, v1::POLICY_TESTING_MODE}},
    {"TestingOneYear",
     WithMode("testing", "31557600"),
     true,
     kTesting,
     31557600,
     kMail,
     {v1::POLICY_VALID, v1::POLICY_TESTING_MODE,
      v1::POLICY_MAX_AGE_LONG_FOR_TESTING}},
    {"TestingMaxAgeZero",
     WithMode("testing", "0"),
     true,
     kTesting,
     0,
     kMail,
     {v1::POLICY_VALID, v1::POLICY_TESTING_MODE}},
    {"EnforceOneHour",
     WithMaxAge("3600"),
     true,
     kEnforce,
     3600,
     kMail,
     {v1::POLICY_VALID, v1::POLICY_MAX_AGE_SHORT}},
    {"EnforceJustUnderOneDay",
     WithMaxAge("86399"),
     true,
     kEnforce,
     86399,
     kMail,
     {v1::POLICY_VALID, v1::POLICY_MAX_AGE_SHORT}},
    {"EnforceMaxAgeZero",
     WithMaxAge("0"),
     true,
     kEnforce,
     0,
     kMail,
     {v1::POLICY_VALID, v1::POLICY_MAX_AGE_SHORT}},

    // --- Unknown (extension) fields: ignored, noted ---
    {"UnknownField",
     With("foo: bar"),
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID, v1::POLICY_UNKNOWN_FIELD}},
    {"ExtensionValueWithColons",
     With("report_uri: https://reports.example.com:8443/a:b"),
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID, v1::POLICY_UNKNOWN_FIELD}},
    {"ExtensionValueUtf8",
     With("comment: caf\xc3\xa9 \xe2\x9c\x93"),
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID, v1::POLICY_UNKNOWN_FIELD}},
    {"ExtensionValueWithSpaces",
     With("note: managed by the ops team"),
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID, v1::POLICY_UNKNOWN_FIELD}},
    {"ExtensionNamePunctuation",
     With("x_y-z.w: 1"),
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID, v1::POLICY_UNKNOWN_FIELD}},
    {"PaddedToExactlyTheLimit",
     Padded(kMaxPolicyBodyBytes),
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID, v1::POLICY_UNKNOWN_FIELD}},

    // --- Duplicated fields: the FIRST value counts ---
    {"DuplicatedModeKeepsFirst",
     Lf({"version: STSv1", "mode: testing", "mx: mail.example.com",
         "mode: enforce", "max_age: 86400"}),
     true,
     kTesting,
     86400,
     kMail,
     {v1::POLICY_VALID, v1::POLICY_TESTING_MODE, v1::POLICY_DUPLICATE_FIELD}},
    {"DuplicatedModeFirstInvalid",
     Lf({"version: STSv1", "mode: Enforce", "mode: enforce",
         "mx: mail.example.com", "max_age: 604800"}),
     false,
     kNoMode,
     604800,
     kMail,
     {v1::POLICY_MODE_INVALID, v1::POLICY_DUPLICATE_FIELD}},
    {"DuplicatedMaxAgeKeepsFirst",
     With("max_age: 300"),
     true,
     kEnforce,
     300,
     kMail,
     {v1::POLICY_VALID, v1::POLICY_MAX_AGE_SHORT, v1::POLICY_DUPLICATE_FIELD}},
    {"DuplicatedVersionSameValue",
     With("version: STSv1"),
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID, v1::POLICY_DUPLICATE_FIELD}},
    {"DuplicatedVersionSecondInvalid",
     With("version: STSv2"),
     true,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VALID, v1::POLICY_DUPLICATE_FIELD}},

    // --- Whole-body problems ---
    {"EmptyBody", "", false, kNoMode, -1, {}, {v1::POLICY_EMPTY}},
    {"WhitespaceOnly",
     " \n\r\n\t\n",
     false,
     kNoMode,
     -1,
     {},
     {v1::POLICY_EMPTY}},
    {"ByteOrderMark",
     "\xEF\xBB\xBF" + WithMaxAge("604800"),
     false,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_BOM}},
    {"ByteOrderMarkOnly",
     "\xEF\xBB\xBF",
     false,
     kNoMode,
     -1,
     {},
     {v1::POLICY_BOM, v1::POLICY_EMPTY}},
    {"HtmlNotFoundPage",
     "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
     "<body>Not found</body></html>\n",
     false,
     kNoMode,
     -1,
     {},
     {v1::POLICY_NOT_A_POLICY}},
    {"HtmlBrowserCheckWithLeadingBlankLines",
     "\r\n  \n<html lang=\"en\"><head><title>Just a moment...</title>",
     false,
     kNoMode,
     -1,
     {},
     {v1::POLICY_NOT_A_POLICY}},
    {"OverTheLimit",
     Padded(kMaxPolicyBodyBytes + 1),
     false,
     kNoMode,
     -1,
     {},
     {v1::POLICY_TOO_LARGE}},
    {"TxtRecordServedAsPolicy",
     "v=STSv1; id=20160831085700Z;\n",
     false,
     kNoMode,
     -1,
     {},
     {v1::POLICY_SYNTAX_ERROR, v1::POLICY_VERSION_MISSING,
      v1::POLICY_MODE_MISSING, v1::POLICY_MAX_AGE_MISSING}},
    {"JsonServedAsPolicy",
     "{\"version\": \"STSv1\", \"mode\": \"enforce\", \"max_age\": 604800}\n",
     false,
     kNoMode,
     -1,
     {},
     {v1::POLICY_SYNTAX_ERROR, v1::POLICY_VERSION_MISSING,
      v1::POLICY_MODE_MISSING, v1::POLICY_MAX_AGE_MISSING}},
    {"ClassicMacLineEnds",
     "version: STSv1\rmode: enforce\rmx: mail.example.com\rmax_age: 604800\r",
     false,
     kNoMode,
     -1,
     {},
     {v1::POLICY_SYNTAX_ERROR}},

    // --- Line syntax ---
    {"SpaceBeforeColon",
     Lf({"version: STSv1", "mode : enforce", "mx: mail.example.com",
         "max_age: 604800"}),
     false,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_SPACE_BEFORE_COLON}},
    {"TabBeforeColonOnTwoLines",
     Lf({"version\t: STSv1", "mode: enforce", "mx : mail.example.com",
         "max_age: 604800"}),
     false,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_SPACE_BEFORE_COLON}},
    {"LeadingWhitespace",
     Lf({"version: STSv1", "  mode: enforce", "mx: mail.example.com",
         "max_age: 604800"}),
     false,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_SYNTAX_ERROR}},
    {"NoColon",
     With("mx mail2.example.com"),
     false,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_SYNTAX_ERROR}},
    {"EqualsInsteadOfColon",
     Lf({"version: STSv1", "mode=enforce", "mx: mail.example.com",
         "max_age: 604800"}),
     false,
     kNoMode,
     604800,
     kMail,
     {v1::POLICY_SYNTAX_ERROR, v1::POLICY_MODE_MISSING}},
    {"ColonFirst",
     With(": enforce"),
     false,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_SYNTAX_ERROR}},
    {"FieldNameStartsWithUnderscore",
     With("_foo: bar"),
     false,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_SYNTAX_ERROR}},
    {"FieldName33Characters",
     With(std::string(33, 'a') + ": x"),
     false,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_SYNTAX_ERROR}},
    {"FieldNameWithSpace",
     With("max age: 86400"),
     false,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_SYNTAX_ERROR}},
    {"ExtensionWithoutValue",
     With("foo:"),
     false,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_SYNTAX_ERROR}},
    {"TabInsideExtensionValue",
     With("note: a\tb"),
     false,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_SYNTAX_ERROR}},
    {"InvalidUtf8InExtension",
     With("comment: caf\xe9"),
     false,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_SYNTAX_ERROR}},
    {"NulByteInModeLine",
     std::string("version: STSv1\nmode: enforce") + '\0' +
         "\nmx: mail.example.com\nmax_age: 604800\n",
     false,
     kNoMode,
     604800,
     kMail,
     {v1::POLICY_SYNTAX_ERROR, v1::POLICY_MODE_MISSING}},
    {"DoubleCarriageReturn",
     "version: STSv1\r\nmode: enforce\r\r\nmx: mail.example.com\r\nmax_age: "
     "604800\r\n",
     false,
     kNoMode,
     604800,
     kMail,
     {v1::POLICY_SYNTAX_ERROR, v1::POLICY_MODE_MISSING}},

    // --- version ---
    {"VersionMissing",
     Lf({"mode: enforce", "mx: mail.example.com", "max_age: 604800"}),
     false,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VERSION_MISSING}},
    {"VersionLowerCase",
     Lf({"version: stsv1", "mode: enforce", "mx: mail.example.com",
         "max_age: 604800"}),
     false,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VERSION_INVALID}},
    {"VersionTwo",
     Lf({"version: STSv2", "mode: enforce", "mx: mail.example.com",
         "max_age: 604800"}),
     false,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_VERSION_INVALID}},
    {"VersionFieldNameCapitalised",
     Lf({"Version: STSv1", "mode: enforce", "mx: mail.example.com",
         "max_age: 604800"}),
     false,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_UNKNOWN_FIELD, v1::POLICY_VERSION_MISSING}},

    // --- mode ---
    {"ModeCapitalised",
     WithMode("Enforce", "604800"),
     false,
     kNoMode,
     604800,
     kMail,
     {v1::POLICY_MODE_INVALID}},
    {"ModeUpperCase",
     WithMode("ENFORCE", "604800"),
     false,
     kNoMode,
     604800,
     kMail,
     {v1::POLICY_MODE_INVALID}},
    {"ModeReportFromEarlyDrafts",
     WithMode("report", "86400"),
     false,
     kNoMode,
     86400,
     kMail,
     {v1::POLICY_MODE_INVALID}},
    {"ModeEmpty",
     WithMode("", "86400"),
     false,
     kNoMode,
     86400,
     kMail,
     {v1::POLICY_MODE_INVALID}},
    {"ModeMissing",
     Lf({"version: STSv1", "mx: mail.example.com", "max_age: 604800"}),
     false,
     kNoMode,
     604800,
     kMail,
     {v1::POLICY_MODE_MISSING}},
    {"ModeFieldNameCapitalised",
     Lf({"version: STSv1", "Mode: enforce", "mx: mail.example.com",
         "max_age: 604800"}),
     false,
     kNoMode,
     604800,
     kMail,
     {v1::POLICY_UNKNOWN_FIELD, v1::POLICY_MODE_MISSING}},

    // --- max_age ---
    {"MaxAgeMissing",
     Lf({"version: STSv1", "mode: enforce", "mx: mail.example.com"}),
     false,
     kEnforce,
     -1,
     kMail,
     {v1::POLICY_MAX_AGE_MISSING}},
    {"MaxAgeHyphenated",
     Lf({"version: STSv1", "mode: enforce", "mx: mail.example.com",
         "max-age: 604800"}),
     false,
     kEnforce,
     -1,
     kMail,
     {v1::POLICY_UNKNOWN_FIELD, v1::POLICY_MAX_AGE_MISSING}},
    {"MaxAgeExponent",
     WithMaxAge("1e6"),
     false,
     kEnforce,
     -1,
     kMail,
     {v1::POLICY_MAX_AGE_INVALID}},
    {"MaxAgeElevenDigits",
     WithMaxAge("00000604800"),
     false,
     kEnforce,
     -1,
     kMail,
     {v1::POLICY_MAX_AGE_INVALID}},
    {"MaxAgeOneAboveLimit",
     WithMaxAge("31557601"),
     false,
     kEnforce,
     31557601,
     kMail,
     {v1::POLICY_MAX_AGE_TOO_LARGE}},
    {"MaxAgeTenNines",
     WithMaxAge("9999999999"),
     false,
     kEnforce,
     9999999999,
     kMail,
     {v1::POLICY_MAX_AGE_TOO_LARGE}},
    {"MaxAgeNegative",
     WithMaxAge("-1"),
     false,
     kEnforce,
     -1,
     kMail,
     {v1::POLICY_MAX_AGE_INVALID}},
    {"MaxAgePlusSign",
     WithMaxAge("+86400"),
     false,
     kEnforce,
     -1,
     kMail,
     {v1::POLICY_MAX_AGE_INVALID}},
    {"MaxAgeWithUnit",
     WithMaxAge("7d"),
     false,
     kEnforce,
     -1,
     kMail,
     {v1::POLICY_MAX_AGE_INVALID}},
    {"MaxAgeDecimal",
     WithMaxAge("86400.0"),
     false,
     kEnforce,
     -1,
     kMail,
     {v1::POLICY_MAX_AGE_INVALID}},
    {"MaxAgeDigitSeparator",
     WithMaxAge("604 800"),
     false,
     kEnforce,
     -1,
     kMail,
     {v1::POLICY_MAX_AGE_INVALID}},
    {"MaxAgeEmpty",
     WithMaxAge(""),
     false,
     kEnforce,
     -1,
     kMail,
     {v1::POLICY_MAX_AGE_INVALID}},

    // --- mx ---
    {"MxMissingInEnforce",
     Lf({"version: STSv1", "mode: enforce", "max_age: 604800"}),
     false,
     kEnforce,
     604800,
     {},
     {v1::POLICY_MX_MISSING}},
    {"MxMissingInTesting",
     Lf({"version: STSv1", "mode: testing", "max_age: 86400"}),
     false,
     kTesting,
     86400,
     {},
     {v1::POLICY_MX_MISSING}},
    {"MxFieldNameUpperCase",
     Lf({"version: STSv1", "mode: enforce", "MX: mail.example.com",
         "max_age: 604800"}),
     false,
     kEnforce,
     604800,
     {},
     {v1::POLICY_UNKNOWN_FIELD, v1::POLICY_MX_MISSING}},
    {"MxULabel",
     WithMx("b\xc3\xbc"
            "cher.example"),
     false,
     kEnforce,
     604800,
     {"b\xc3\xbc"
      "cher.example"},
     {v1::POLICY_MX_ULABEL}},
    {"MxIpv4AddressBesideHostName",
     With("mx: 192.0.2.25"),
     true,
     kEnforce,
     604800,
     {"mail.example.com", "192.0.2.25"},
     {v1::POLICY_VALID, v1::POLICY_MX_IP_LITERAL}},
    {"MxBracketedIpv4",
     WithMx("[192.0.2.25]"),
     false,
     kEnforce,
     604800,
     {"[192.0.2.25]"},
     {v1::POLICY_MX_IP_LITERAL}},
    {"MxIpv6",
     WithMx("2001:db8::25"),
     false,
     kEnforce,
     604800,
     {"2001:db8::25"},
     {v1::POLICY_MX_IP_LITERAL}},
    {"MxWildcardInMiddle",
     WithMx("mail.*.example.com"),
     false,
     kEnforce,
     604800,
     {"mail.*.example.com"},
     {v1::POLICY_MX_WILDCARD_INVALID}},
    {"MxTwoWildcards",
     WithMx("*.*.example.com"),
     false,
     kEnforce,
     604800,
     {"*.*.example.com"},
     {v1::POLICY_MX_WILDCARD_INVALID}},
    {"MxWildcardJoinedToName",
     WithMx("*example.com"),
     false,
     kEnforce,
     604800,
     {"*example.com"},
     {v1::POLICY_MX_WILDCARD_INVALID}},
    {"MxBareStar",
     WithMx("*"),
     false,
     kEnforce,
     604800,
     {"*"},
     {v1::POLICY_MX_WILDCARD_INVALID}},
    {"MxTrailingDot",
     WithMx("mail.example.com."),
     false,
     kEnforce,
     604800,
     {"mail.example.com."},
     {v1::POLICY_MX_TRAILING_DOT}},
    {"MxEmptyValue",
     WithMx(""),
     false,
     kEnforce,
     604800,
     {""},
     {v1::POLICY_MX_INVALID}},
    {"MxSpaceSeparatedList",
     WithMx("mx1.example.com mx2.example.com"),
     false,
     kEnforce,
     604800,
     {"mx1.example.com mx2.example.com"},
     {v1::POLICY_MX_INVALID}},
    {"MxCommaSeparatedList",
     WithMx("mx1.example.com,mx2.example.com"),
     false,
     kEnforce,
     604800,
     {"mx1.example.com,mx2.example.com"},
     {v1::POLICY_MX_INVALID}},
    {"MxUnderscore",
     WithMx("mx_1.example.com"),
     false,
     kEnforce,
     604800,
     {"mx_1.example.com"},
     {v1::POLICY_MX_INVALID}},
    {"MxUrl",
     WithMx("https://mail.example.com"),
     false,
     kEnforce,
     604800,
     {"https://mail.example.com"},
     {v1::POLICY_MX_INVALID}},
    {"MxEmptyLabel",
     WithMx("mail..example.com"),
     false,
     kEnforce,
     604800,
     {"mail..example.com"},
     {v1::POLICY_MX_INVALID}},
    {"MxLabelStartsWithHyphen",
     WithMx("-mail.example.com"),
     false,
     kEnforce,
     604800,
     {"-mail.example.com"},
     {v1::POLICY_MX_INVALID}},
    {"MxLabel64Characters",
     WithMx(std::string(64, 'a') + ".example.com"),
     false,
     kEnforce,
     604800,
     {std::string(64, 'a') + ".example.com"},
     {v1::POLICY_MX_INVALID}},
    {"SeveralMxDefectsEachNamed",
     Lf({"version: STSv1", "mode: enforce", "mx: mail.example.com.",
         "mx: *.*.example.com", "mx: mail.example.com", "max_age: 604800"}),
     false,
     kEnforce,
     604800,
     {"mail.example.com.", "*.*.example.com", "mail.example.com"},
     {v1::POLICY_MX_TRAILING_DOT, v1::POLICY_MX_WILDCARD_INVALID}},

    // --- Several problems at once ---
    {"OnlyUnknownFields",
     "hello: world\n",
     false,
     kNoMode,
     -1,
     {},
     {v1::POLICY_UNKNOWN_FIELD, v1::POLICY_VERSION_MISSING,
      v1::POLICY_MODE_MISSING, v1::POLICY_MAX_AGE_MISSING}},
    {"ManyGarbageLines",
     WithMaxAge("604800") + std::string(20, 'x') + "\n" +
         "garbage line\ngarbage line\ngarbage line\ngarbage line\n"
         "garbage line\ngarbage line\ngarbage line\ngarbage line\n"
         "garbage line\ngarbage line\n",
     false,
     kEnforce,
     604800,
     kMail,
     {v1::POLICY_SYNTAX_ERROR}},
};

std::set<std::string> Names(const Codes& codes) {
  std::set<std::string> names;
  for (v1::FindingCode c : codes) names.insert(v1::FindingCode_Name(c));
  return names;
}
std::set<std::string> Names(const std::vector<v1::Finding>& findings) {
  std::set<std::string> names;
  for (const v1::Finding& f : findings) {
    names.insert(v1::FindingCode_Name(f.code()));
  }
  return names;
}
std::string Describe(const std::vector<v1::Finding>& findings) {
  std::string out;
  for (const v1::Finding& f : findings) {
    absl::StrAppend(&out, "  ", v1::FindingCode_Name(f.code()), " (",
                    v1::Severity_Name(f.severity()), "): ", f.detail(), "\n");
  }
  return out;
}
const v1::Finding& FindingWith(const std::vector<v1::Finding>& findings,
                               v1::FindingCode code) {
  for (const v1::Finding& f : findings) {
    if (f.code() == code) return f;
  }
  ADD_FAILURE() << "no " << v1::FindingCode_Name(code) << "\n"
                << Describe(findings);
  static const v1::Finding kNone;
  return kNone;
}

// Points per docs/design.md §5.3, out of 35.
double ExpectedFraction(const PolicyCase& c) {
  if (!c.valid) return 0;
  switch (c.mode) {
    case v1::POLICY_MODE_ENFORCE:
      return (30.0 + (c.max_age >= 86400 ? 5 : 0)) / 35.0;
    case v1::POLICY_MODE_TESTING:
      return 15.0 / 35.0;
    default:
      return 0;
  }
}

// The status of each valid enforce row with a max_age of a day or more:
// PASS when nothing in it is a defect (no finding of LOW or worse), WARN
// otherwise. Other rows: FAIL when invalid, else WARN.
v1::CheckStatus LongEnforceStatus(const std::string& name) {
  constexpr v1::CheckStatus kPass = v1::CHECK_STATUS_PASS;
  constexpr v1::CheckStatus kWarn = v1::CHECK_STATUS_WARN;
  static const auto* const kStatus = new std::map<std::string, v1::CheckStatus>{
      // Nothing but POLICY_VALID and INFO findings (unknown fields).
      {"RfcExampleCrlf", kPass},
      {"RfcExampleLf", kPass},
      {"MixedCrlfAndLf", kPass},
      {"NoTrailingNewline", kPass},
      {"NoTrailingNewlineAfterMx", kPass},
      {"FieldsInAnyOrder", kPass},
      {"NoSpaceAfterColon", kPass},
      {"TabsAfterColon", kPass},
      {"TrailingWhitespace", kPass},
      {"BlankLinesBetweenFields", kPass},
      {"TrailingBlankLines", kPass},
      {"LeadingBlankLine", kPass},
      {"MaxAgeAtLimit", kPass},
      {"MaxAgeLeadingZerosTenDigits", kPass},
      {"EnforceMaxAgeOneDay", kPass},
      {"WildcardPattern", kPass},
      {"IdnALabelPattern", kPass},
      {"UpperCaseMxPattern", kPass},
      {"ManyMxLines", kPass},
      {"RepeatedMxValue", kPass},
      {"UnknownField", kPass},
      {"ExtensionValueWithColons", kPass},
      {"ExtensionValueUtf8", kPass},
      {"ExtensionValueWithSpaces", kPass},
      {"ExtensionNamePunctuation", kPass},
      {"PaddedToExactlyTheLimit", kPass},
      // A MEDIUM finding: duplicated field, IP literal among the mx.
      {"DuplicatedVersionSameValue", kWarn},
      {"DuplicatedVersionSecondInvalid", kWarn},
      {"MxIpv4AddressBesideHostName", kWarn},
  };
  auto it = kStatus->find(name);
  if (it == kStatus->end()) {
    ADD_FAILURE() << "state the expected status of " << name;
    return v1::CHECK_STATUS_UNSPECIFIED;
  }
  return it->second;
}

class PolicyTest : public ::testing::TestWithParam<PolicyCase> {};

TEST_P(PolicyTest, Parses) {
  const PolicyCase& c = GetParam();
  const ParsedPolicy p = ParsePolicy(c.body);
  EXPECT_EQ(p.valid, c.valid) << Describe(p.findings);
  EXPECT_EQ(v1::PolicyMode_Name(p.mode), v1::PolicyMode_Name(c.mode));
  EXPECT_EQ(p.max_age, c.max_age);
  EXPECT_EQ(p.mx, c.mx);
  EXPECT_EQ(Names(p.findings), Names(c.codes)) << Describe(p.findings);
  // POLICY_VALID exactly when valid.
  EXPECT_EQ(Names(p.findings).count("POLICY_VALID") == 1, p.valid);
  for (size_t i = 0; i < p.findings.size(); ++i) {
    const v1::Finding& f = p.findings[i];
    EXPECT_NE(f.severity(), v1::SEVERITY_UNSPECIFIED);
    EXPECT_FALSE(f.title().empty());
    EXPECT_FALSE(f.detail().empty());
    EXPECT_EQ(f.subject(), "");
    if (i > 0) {
      EXPECT_GE(p.findings[i - 1].severity(), f.severity());
    }
  }
  // Bounded: a handful of findings whatever the body.
  EXPECT_LE(p.findings.size(), 20u);
}

TEST_P(PolicyTest, Judges) {
  const PolicyCase& c = GetParam();
  v1::PolicyEvidence evidence;
  evidence.set_url("kept");
  evidence.set_http_status(200);
  evidence.add_mx("stale");
  evidence.set_max_age(1);
  const CheckVerdict v = JudgePolicyContent(c.body, kUrl, &evidence);

  if (!c.valid) {
    EXPECT_EQ(v1::CheckStatus_Name(v.status), "CHECK_STATUS_FAIL");
  } else if (c.mode == kEnforce && c.max_age >= 86400) {
    EXPECT_EQ(v1::CheckStatus_Name(v.status),
              v1::CheckStatus_Name(LongEnforceStatus(c.name)))
        << Describe(v.findings);
  } else {
    EXPECT_EQ(v1::CheckStatus_Name(v.status), "CHECK_STATUS_WARN");
  }
  EXPECT_DOUBLE_EQ(v.fraction, ExpectedFraction(c));
  EXPECT_EQ(Names(v.findings), Names(c.codes));
  for (const v1::Finding& f : v.findings) EXPECT_EQ(f.subject(), kUrl);

  ASSERT_FALSE(v.summary.empty());
  EXPECT_EQ(v.summary.back(), '.');
  EXPECT_EQ(v.summary.find(". "), std::string::npos) << v.summary;
  EXPECT_THAT(v.summary, HasSubstr(kUrl));

  EXPECT_EQ(evidence.valid(), c.valid);
  EXPECT_EQ(evidence.mode(), c.mode);
  EXPECT_EQ(evidence.max_age(), c.max_age < 0 ? 0 : c.max_age);
  EXPECT_EQ(evidence.mx_size(), static_cast<int>(c.mx.size()));
  EXPECT_EQ(evidence.url(), "kept");
  EXPECT_EQ(evidence.http_status(), 200);
  EXPECT_LE(evidence.body().size(), 4 * kMaxPolicyBodyBytes);

  // The report stays a valid proto3 message (UTF-8 everywhere).
  v1::DomainReport report;
  *report.mutable_evidence()->mutable_policy() = evidence;
  v1::CheckResult* result = report.add_checks();
  for (const v1::Finding& f : v.findings) *result->add_findings() = f;
  result->set_summary(v.summary);
  std::string wire;
  ASSERT_TRUE(report.SerializeToString(&wire));
  v1::DomainReport back;
  EXPECT_TRUE(back.ParseFromString(wire));
}

INSTANTIATE_TEST_SUITE_P(Rfc8461, PolicyTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<PolicyCase>& info) {
                           return info.param.name;
                         });

// --- Scoring and status ---

TEST(PolicyJudgeTest, EnforceWithLongMaxAgeEarnsEverything) {
  const CheckVerdict v =
      JudgePolicyContent(WithMaxAge("604800"), kUrl, nullptr);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_PASS);
  EXPECT_EQ(v.fraction, 1);
  EXPECT_EQ(v.summary,
            absl::StrCat("The policy at ", kUrl,
                         " is valid and in mode enforce, with max_age 604800 "
                         "(7 days) and 1 mx pattern."));
}

TEST(PolicyJudgeTest, EnforceWithShortMaxAgeMissesTheBonus) {
  const CheckVerdict v = JudgePolicyContent(WithMaxAge("3600"), kUrl, nullptr);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_WARN);
  EXPECT_DOUBLE_EQ(v.fraction * 35, 30);
  EXPECT_THAT(v.summary, HasSubstr("under a day"));
  EXPECT_THAT(FindingWith(v.findings, v1::POLICY_MAX_AGE_SHORT).detail(),
              HasSubstr("3600 (1 hour)"));
}

TEST(PolicyJudgeTest, TestingEarnsFifteenOfThirtyFive) {
  const CheckVerdict v =
      JudgePolicyContent(WithMode("testing", "86400"), kUrl, nullptr);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_WARN);
  EXPECT_DOUBLE_EQ(v.fraction * 35, 15);
  EXPECT_THAT(v.summary, HasSubstr("mode testing"));
  // The staged rollout advice.
  const v1::Finding& f = FindingWith(v.findings, v1::POLICY_TESTING_MODE);
  EXPECT_THAT(f.recommendation(),
              AllOf(HasSubstr("max_age: 86400"), HasSubstr("mode: enforce"),
                    HasSubstr("604800")));
}

TEST(PolicyJudgeTest, NoneIsValidButEarnsNothing) {
  const CheckVerdict v = JudgePolicyContent(
      Lf({"version: STSv1", "mode: none", "max_age: 86400"}), kUrl, nullptr);
  // WARN, not FAIL: the policy works as published (the report's state is
  // DISABLED, not BROKEN).
  EXPECT_EQ(v.status, v1::CHECK_STATUS_WARN);
  EXPECT_EQ(v.fraction, 0);
  EXPECT_THAT(v.summary, HasSubstr("switches MTA-STS off"));
}

TEST(PolicyJudgeTest, DefectInValidEnforcePolicyWarnsWithFullPoints) {
  const CheckVerdict v =
      JudgePolicyContent(With("mode: testing"), kUrl, nullptr);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_WARN);
  EXPECT_EQ(v.fraction, 1);
  EXPECT_THAT(v.summary, HasSubstr("defects worth fixing"));
}

TEST(PolicyJudgeTest, InvalidSummarySaysWhyAndWhatSendersDo) {
  const CheckVerdict v =
      JudgePolicyContent(WithMode("Enforce", "604800"), kUrl, nullptr);
  EXPECT_EQ(v.summary,
            absl::StrCat("The policy at ", kUrl,
                         " is invalid (the mode is not enforce, testing or "
                         "none), so senders ignore it and, unless they cached "
                         "an earlier valid policy, deliver without MTA-STS."));
  const CheckVerdict several =
      JudgePolicyContent("hello: world\n", "", nullptr);
  EXPECT_THAT(several.summary, AllOf(HasSubstr("The policy is invalid ("),
                                     HasSubstr("and 2 more problems")));
}

// --- Evidence ---

TEST(PolicyEvidenceTest, KeepsTheBodyWithItsLineEnds) {
  v1::PolicyEvidence evidence;
  const std::string body =
      Crlf({"version: STSv1", "mode: enforce", "mx: mail.example.com",
            "mx: *.example.net", "max_age: 604800"});
  JudgePolicyContent(body, kUrl, &evidence);
  EXPECT_EQ(evidence.body(), body);
  EXPECT_TRUE(evidence.valid());
  EXPECT_EQ(evidence.mode(), v1::POLICY_MODE_ENFORCE);
  EXPECT_EQ(evidence.max_age(), 604800);
  EXPECT_THAT(evidence.mx(), ElementsAre("mail.example.com", "*.example.net"));
}

TEST(PolicyEvidenceTest, EscapesBytesThatAreNotUtf8OrAreControls) {
  v1::PolicyEvidence evidence;
  const std::string body = std::string("mx: caf\xc3\xa9\ncomment: \xe9\n") +
                           "note: a" + '\0' + "b\r\nend\r";
  JudgePolicyContent(body, kUrl, &evidence);
  // Valid UTF-8 and line ends kept as they came; the rest escaped.
  EXPECT_EQ(evidence.body(),
            "mx: caf\xc3\xa9\ncomment: \\xe9\nnote: a\\x00b\r\nend\r");
  ASSERT_EQ(evidence.mx_size(), 1);
  EXPECT_EQ(evidence.mx(0), "caf\xc3\xa9");
}

TEST(PolicyEvidenceTest, KeepsAtMostTheBodyLimit) {
  v1::PolicyEvidence evidence;
  const std::string body = Padded(kMaxPolicyBodyBytes + 1000);
  const CheckVerdict v = JudgePolicyContent(body, kUrl, &evidence);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_FAIL);
  EXPECT_EQ(evidence.body().size(), kMaxPolicyBodyBytes);
  EXPECT_FALSE(evidence.valid());
  EXPECT_EQ(evidence.mode(), v1::POLICY_MODE_UNSPECIFIED);
  EXPECT_THAT(FindingWith(v.findings, v1::POLICY_TOO_LARGE).detail(),
              HasSubstr("66536 bytes"));
}

TEST(PolicyEvidenceTest, ParsedOverloadMatchesBodyOverload) {
  const std::string body = WithMode("testing", "31557600");
  v1::PolicyEvidence a, b;
  const CheckVerdict va = JudgePolicyContent(body, kUrl, &a);
  const CheckVerdict vb = JudgePolicyContent(ParsePolicy(body), body, kUrl, &b);
  EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString());
  EXPECT_EQ(va.summary, vb.summary);
  EXPECT_EQ(va.fraction, vb.fraction);
  EXPECT_EQ(Names(va.findings), Names(vb.findings));
}

// --- What the details say ---

TEST(PolicyDetailTest, DuplicateSaysFirstWinsAndWhatOthersSee) {
  const ParsedPolicy p =
      ParsePolicy(Lf({"version: STSv1", "mode: testing", "mx: mail.example.com",
                      "max_age: 86400", "mode: enforce"}));
  const v1::Finding& f = FindingWith(p.findings, v1::POLICY_DUPLICATE_FIELD);
  EXPECT_EQ(f.severity(), v1::SEVERITY_MEDIUM);
  EXPECT_THAT(f.detail(),
              AllOf(HasSubstr("mode appears 2 times (lines 2, 5)"),
                    HasSubstr("the first, \"testing\", is in force"),
                    HasSubstr("tools that keep the last value see "
                              "\"enforce\""),
                    HasSubstr("many tools")));
  const ParsedPolicy same = ParsePolicy(With("version: STSv1"));
  EXPECT_EQ(FindingWith(same.findings, v1::POLICY_DUPLICATE_FIELD).severity(),
            v1::SEVERITY_LOW);
}

TEST(PolicyDetailTest, MxMissingIsCriticalUnderEnforceOnly) {
  const ParsedPolicy enforce =
      ParsePolicy(Lf({"version: STSv1", "mode: enforce", "max_age: 604800"}));
  EXPECT_EQ(FindingWith(enforce.findings, v1::POLICY_MX_MISSING).severity(),
            v1::SEVERITY_CRITICAL);
  const ParsedPolicy testing =
      ParsePolicy(Lf({"version: STSv1", "mode: testing", "max_age: 86400"}));
  EXPECT_EQ(FindingWith(testing.findings, v1::POLICY_MX_MISSING).severity(),
            v1::SEVERITY_HIGH);
}

TEST(PolicyDetailTest, MiscasedModeValueSaysCaseSensitive) {
  const ParsedPolicy p = ParsePolicy(WithMode("Enforce", "604800"));
  EXPECT_THAT(FindingWith(p.findings, v1::POLICY_MODE_INVALID).detail(),
              AllOf(HasSubstr("Line 2: the mode is \"Enforce\""),
                    HasSubstr("case-sensitive: write \"enforce\"")));
  const ParsedPolicy report = ParsePolicy(WithMode("report", "86400"));
  EXPECT_THAT(FindingWith(report.findings, v1::POLICY_MODE_INVALID).detail(),
              HasSubstr("early drafts"));
}

TEST(PolicyDetailTest, MiscasedFieldNameIsNamedInTheMissingFinding) {
  const ParsedPolicy p =
      ParsePolicy(Lf({"version: STSv1", "Mode: enforce", "mx: mail.example.com",
                      "max-age: 604800"}));
  EXPECT_THAT(FindingWith(p.findings, v1::POLICY_MODE_MISSING).detail(),
              HasSubstr("\"Mode\" on line 2 does not count"));
  EXPECT_THAT(FindingWith(p.findings, v1::POLICY_MAX_AGE_MISSING).detail(),
              HasSubstr("\"max-age\" on line 4 does not count"));
  EXPECT_THAT(FindingWith(p.findings, v1::POLICY_UNKNOWN_FIELD).detail(),
              AllOf(HasSubstr("\"Mode\", \"max-age\""),
                    HasSubstr("\"Mode\" is not \"mode\"")));
  EXPECT_THAT(p.unknown_fields, ElementsAre("Mode", "max-age"));
}

TEST(PolicyDetailTest, MaxAgeProblemsAreNamed) {
  auto detail = [](const std::string& value) {
    return FindingWith(ParsePolicy(WithMaxAge(value)).findings,
                       v1::POLICY_MAX_AGE_INVALID)
        .detail();
  };
  EXPECT_THAT(detail("1e6"), HasSubstr("\"1e6\" uses exponent notation"));
  EXPECT_THAT(detail("00000604800"), HasSubstr("has 11 digits"));
  EXPECT_THAT(detail("-1"), HasSubstr("is negative"));
  EXPECT_THAT(detail("7d"), HasSubstr("a unit"));
  EXPECT_THAT(detail("86400.0"), HasSubstr("decimal point"));
  EXPECT_THAT(detail("86,400"), HasSubstr("digit separators"));
  EXPECT_THAT(detail("week"), HasSubstr("is not a number"));
  EXPECT_THAT(FindingWith(ParsePolicy(WithMaxAge("31557601")).findings,
                          v1::POLICY_MAX_AGE_TOO_LARGE)
                  .detail(),
              AllOf(HasSubstr("31557601 (about 365.25 days)"),
                    HasSubstr("limit of 31557600"), HasSubstr("erratum 7282")));
}

TEST(PolicyDetailTest, MxDefectsNameValueLineAndProblem) {
  auto detail = [](const std::string& mx, v1::FindingCode code) {
    return FindingWith(ParsePolicy(WithMx(mx)).findings, code).detail();
  };
  EXPECT_THAT(detail("mail.*.example.com", v1::POLICY_MX_WILDCARD_INVALID),
              AllOf(HasSubstr("Line 3: the mx value \"mail.*.example.com\""),
                    HasSubstr("its second label")));
  EXPECT_THAT(detail("*.*.example.com", v1::POLICY_MX_WILDCARD_INVALID),
              HasSubstr("has 2 \"*\""));
  EXPECT_THAT(detail("mail.example.com.", v1::POLICY_MX_TRAILING_DOT),
              HasSubstr("ends with a dot"));
  EXPECT_THAT(
      detail("b\xc3\xbc"
             "cher.example",
             v1::POLICY_MX_ULABEL),
      AllOf(HasSubstr("\"b\\xc3\\xbccher.example\""), HasSubstr("A-labels")));
  EXPECT_THAT(detail("2001:db8::25", v1::POLICY_MX_IP_LITERAL),
              HasSubstr("IPv6 address"));
  EXPECT_THAT(detail("a.example.com b.example.com", v1::POLICY_MX_INVALID),
              HasSubstr("one host name per mx line"));
  EXPECT_THAT(detail("", v1::POLICY_MX_INVALID), HasSubstr("is empty"));
}

TEST(PolicyDetailTest, HtmlPageIsRecognisedWithItsTitle) {
  const ParsedPolicy p = ParsePolicy(
      "<!DOCTYPE html><html><head><title> Just a moment... </title>");
  EXPECT_THAT(FindingWith(p.findings, v1::POLICY_NOT_A_POLICY).detail(),
              AllOf(HasSubstr("begins with \"<!DOCTYPE html>"),
                    HasSubstr("titled \"Just a moment...\""),
                    HasSubstr("browser check")));
  const ParsedPolicy big = ParsePolicy("<html>" + std::string(70000, ' '));
  EXPECT_THAT(FindingWith(big.findings, v1::POLICY_TOO_LARGE).detail(),
              HasSubstr("begins like an HTML page"));
}

TEST(PolicyDetailTest, SyntaxProblemsSayLineAndCause) {
  auto detail = [](const std::string& body) {
    return FindingWith(ParsePolicy(body).findings, v1::POLICY_SYNTAX_ERROR)
        .detail();
  };
  EXPECT_THAT(detail(With("  foo: bar")),
              AllOf(HasSubstr("Line 4"), HasSubstr("begins with whitespace")));
  EXPECT_THAT(detail(With("mode=enforce")),
              HasSubstr("uses \"=\" where \":\" belongs"));
  EXPECT_THAT(detail("v=STSv1; id=1;\n"),
              HasSubstr("belongs in DNS, not in the policy file"));
  EXPECT_THAT(detail(With("foo: a\rb")),
              AllOf(HasSubstr("carriage return"), HasSubstr("position 7")));
  EXPECT_THAT(detail("version: STSv1\rmode: enforce\r"),
              HasSubstr("classic Mac OS"));
  EXPECT_THAT(detail(With("note: a\tb")), HasSubstr("tab inside its value"));
}

TEST(PolicyDetailTest, SyntaxProblemsAreBounded) {
  std::string body = WithMaxAge("604800");
  for (int i = 0; i < 5000; ++i) body += "garbage\n";
  const ParsedPolicy p = ParsePolicy(body);
  EXPECT_FALSE(p.valid);
  EXPECT_EQ(p.findings.size(),
            static_cast<size_t>(kMaxPolicySyntaxFindings) + 1);
  EXPECT_THAT(p.findings.back().detail(),
              HasSubstr("4992 more lines do not follow the syntax"));
}

TEST(PolicyDetailTest, SpaceBeforeColonListsTheLines) {
  const ParsedPolicy p =
      ParsePolicy(Lf({"version : STSv1", "mode\t: enforce",
                      "mx: mail.example.com", "max_age : 604800"}));
  EXPECT_THAT(
      FindingWith(p.findings, v1::POLICY_SPACE_BEFORE_COLON).detail(),
      AllOf(HasSubstr("Lines 1, 2, 4"), HasSubstr("\"mode\\x09: enforce\""),
            HasSubstr("have whitespace before \":\"")));
}

TEST(PolicyDetailTest, ValidFindingSummarisesThePolicy) {
  const ParsedPolicy p =
      ParsePolicy(Lf({"version: STSv1", "mode: enforce", "mx: mail.example.com",
                      "mx: *.example.net", "max_age: 1209600"}));
  EXPECT_THAT(FindingWith(p.findings, v1::POLICY_VALID).detail(),
              HasSubstr("mode enforce, with max_age 1209600 (14 days) and mx "
                        "\"mail.example.com\", \"*.example.net\""));
  EXPECT_THAT(p.unknown_fields, IsEmpty());
}

TEST(PolicyDetailTest, InvalidPolicyGetsNoModeAdvice) {
  // Fix the defect first: testing-mode advice on an invalid policy is noise.
  const ParsedPolicy p = ParsePolicy(
      Lf({"version: STSv1", "mode: testing", "mx: mail.example.com."}));
  EXPECT_THAT(Names(p.findings),
              Not(::testing::Contains("POLICY_TESTING_MODE")));
}

}  // namespace
}  // namespace mtasts::checks

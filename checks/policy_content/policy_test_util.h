// Scaffolding shared by the policy judge's tests (policy_rfc_test,
// policy_judge_test, policy_detail_test) and their case table
// (policy_rfc_cases.cc): policy bodies with one thing changed, and findings in
// words for failure messages.
//
//   const ParsedPolicy p = ParsePolicy(WithMaxAge("1e6"));
//   EXPECT_THAT(FindingWith(p.findings, v1::POLICY_MAX_AGE_INVALID).detail(),
//               HasSubstr("exponent notation"));
#ifndef MTASTS_CHECKS_POLICY_CONTENT_POLICY_TEST_UTIL_H_
#define MTASTS_CHECKS_POLICY_CONTENT_POLICY_TEST_UTIL_H_

#include <cstddef>
#include <initializer_list>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "mtasts/v1/findings.pb.h"

namespace mtasts::checks::policy_test_util {

inline constexpr char kUrl[] =
    "https://mta-sts.example.com/.well-known/mta-sts.txt";

// Lines joined with LF, each terminated.
inline std::string Lf(std::initializer_list<const char*> lines) {
  std::string out;
  for (const char* line : lines) absl::StrAppend(&out, line, "\n");
  return out;
}
// Lines joined with CRLF, each terminated.
inline std::string Crlf(std::initializer_list<const char*> lines) {
  std::string out;
  for (const char* line : lines) absl::StrAppend(&out, line, "\r\n");
  return out;
}

// A valid enforce policy with one extra line (LF), for one-defect cases.
inline std::string With(const std::string& extra) {
  return absl::StrCat("version: STSv1\nmode: enforce\nmx: mail.example.com\n",
                      extra, "\nmax_age: 604800\n");
}
// An enforce policy whose only mx line is `mx`.
inline std::string WithMx(const std::string& mx) {
  return absl::StrCat("version: STSv1\nmode: enforce\nmx: ", mx,
                      "\nmax_age: 604800\n");
}
// An enforce policy with `max_age`.
inline std::string WithMaxAge(const std::string& max_age) {
  return absl::StrCat("version: STSv1\nmode: enforce\nmx: mail.example.com\n",
                      "max_age: ", max_age, "\n");
}
// A policy with `mode` and `max_age`, one mx.
inline std::string WithMode(const std::string& mode,
                            const std::string& max_age) {
  return absl::StrCat("version: STSv1\nmode: ", mode,
                      "\nmx: mail.example.com\nmax_age: ", max_age, "\n");
}

inline std::string Padded(size_t total) {
  std::string body =
      "version: STSv1\nmode: enforce\nmx: mail.example.com\n"
      "max_age: 604800\nx-padding: ";
  body.append(total - body.size() - 1, 'a');
  body += "\n";
  return body;
}

inline std::string ManyMx(int n) {
  std::string body = "version: STSv1\nmode: enforce\nmax_age: 604800\n";
  for (int i = 0; i < n; ++i)
    absl::StrAppend(&body, "mx: mx", i, ".example.com\n");
  return body;
}

inline std::vector<std::string> ManyMxNames(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back(absl::StrCat("mx", i, ".example.com"));
  return out;
}

using Codes = std::set<v1::FindingCode>;

inline std::set<std::string> Names(const Codes& codes) {
  std::set<std::string> names;
  for (v1::FindingCode c : codes) names.insert(v1::FindingCode_Name(c));
  return names;
}
inline std::set<std::string> Names(const std::vector<v1::Finding>& findings) {
  std::set<std::string> names;
  for (const v1::Finding& f : findings) {
    names.insert(v1::FindingCode_Name(f.code()));
  }
  return names;
}
inline std::string Describe(const std::vector<v1::Finding>& findings) {
  std::string out;
  for (const v1::Finding& f : findings) {
    absl::StrAppend(&out, "  ", v1::FindingCode_Name(f.code()), " (",
                    v1::Severity_Name(f.severity()), "): ", f.detail(), "\n");
  }
  return out;
}
inline const v1::Finding& FindingWith(const std::vector<v1::Finding>& findings,
                                      v1::FindingCode code) {
  for (const v1::Finding& f : findings) {
    if (f.code() == code) return f;
  }
  ADD_FAILURE() << "no " << v1::FindingCode_Name(code) << "\n"
                << Describe(findings);
  static const v1::Finding kNone;
  return kNone;
}

}  // namespace mtasts::checks::policy_test_util

#endif  // MTASTS_CHECKS_POLICY_CONTENT_POLICY_TEST_UTIL_H_

#include "checks/scoring/test_reports.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace mtasts::checks::scoring {

const std::vector<std::string> kCheckOrder = {"txt",    "policy_fetch", "policy_content", "mx_match",
                                              "mx_tls", "tls_rpt",      "dnssec"};

int DefaultPoints(const std::string& check) {
  if (check == "policy_content") return 35;
  if (check == "txt" || check == "policy_fetch") return 15;
  if (check == "dnssec") return 5;
  return 10;
}

v1::Finding MakeF(v1::FindingCode code, v1::Severity severity,
                  std::string title, std::string recommendation) {
  v1::Finding f;
  f.set_code(code);
  f.set_severity(severity);
  f.set_title(std::move(title));
  f.set_recommendation(std::move(recommendation));
  return f;
}

v1::CheckResult MakeCheck(const std::string& name, v1::CheckStatus status,
                          double fraction,
                          std::vector<v1::Finding> findings) {
  v1::CheckResult c;
  c.set_check(name);
  c.set_status(status);
  if (status == kPass || status == kWarn || status == kFail) {
    const double weight = DefaultPoints(name);
    c.set_points_possible(weight);
    c.set_points_earned(fraction * weight);
  }
  for (v1::Finding& f : findings) *c.add_findings() = std::move(f);
  return c;
}

v1::DomainReport MakeReport(std::vector<v1::CheckResult> checks) {
  v1::DomainReport r;
  r.set_domain("example.com");
  r.set_unicode_domain("example.com");
  for (v1::CheckResult& c : checks) *r.add_checks() = std::move(c);
  r.mutable_checked_at()->set_seconds(1709294400);  // 2024-03-01 12:00:00 UTC
  return r;
}

v1::CheckResult TxtMissing() {
  return MakeCheck("txt", kFail, 0,
                   {MakeF(v1::TXT_MISSING, v1::SEVERITY_MEDIUM,
                          "No MTA-STS TXT record", "Publish MTA-STS.")});
}

void SetPolicy(v1::DomainReport* r, v1::PolicyMode mode, bool valid) {
  r->mutable_evidence()->mutable_policy()->set_valid(valid);
  r->mutable_evidence()->mutable_policy()->set_mode(mode);
}

void AddMx(v1::DomainReport* r, const std::string& name) {
  r->mutable_evidence()->set_mx_kind(v1::MX_KIND_HOSTS);
  r->mutable_evidence()->add_mx_hosts()->set_name(name);
}

v1::DomainReport Published(v1::PolicyMode mode) {
  v1::DomainReport r = MakeReport({
      MakeCheck("txt", kPass), MakeCheck("policy_fetch", kPass),
      MakeCheck("policy_content", kPass), MakeCheck("mx_match", kPass),
      MakeCheck("mx_tls", kPass), MakeCheck("tls_rpt", kPass),
      MakeCheck("dnssec", kPass)});
  SetPolicy(&r, mode);
  r.mutable_evidence()->mutable_tls_rpt()->set_valid(true);
  AddMx(&r, "mx1.example.com");
  return r;
}

int CountSentences(const std::string& text) {
  int n = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '.' && text[i + 1] == ' ') ++n;
  }
  return text.empty() ? 0 : n + (text.back() == '.' ? 1 : 0);
}

v1::DomainReport Served(v1::PolicyMode mode, int64_t max_age, std::vector<std::string> patterns,
                        std::vector<std::pair<std::string, std::string>> hosts) {
  v1::DomainReport r = Published(mode);
  r.mutable_evidence()->clear_mx_hosts();
  r.mutable_evidence()->mutable_policy()->set_max_age(max_age);
  for (const std::string& p : patterns) r.mutable_evidence()->mutable_policy()->add_mx(p);
  for (const auto& [host, pattern] : hosts) {
    AddMx(&r, host);
    auto* mx = r.mutable_evidence()->mutable_mx_hosts(r.evidence().mx_hosts_size() - 1);
    mx->set_matched_pattern(pattern);
  }
  r.mutable_evidence()->set_sts_id("2024a");
  r.mutable_evidence()->mutable_policy()->set_http_status(200);
  r.mutable_evidence()->mutable_policy()->set_body("as served");
  return r;
}

std::vector<std::vector<v1::FindingCode>> Resolves(const v1::DomainReport& r) {
  std::vector<std::vector<v1::FindingCode>> out;
  for (const v1::Recommendation& a : r.actions()) {
    std::vector<v1::FindingCode> codes;
    for (int c : a.resolves()) codes.push_back(static_cast<v1::FindingCode>(c));
    out.push_back(codes);
  }
  return out;
}

void ExpectActionable(const v1::DomainReport& r) {
  ASSERT_EQ(r.recommendations_size(), r.actions_size());
  std::set<v1::FindingCode> present;
  std::map<v1::FindingCode, v1::Severity> worst;
  const auto note = [&](const v1::Finding& f) {
    present.insert(f.code());
    worst[f.code()] = std::max(worst[f.code()], f.severity());
  };
  for (const v1::Finding& f : r.domain_findings()) note(f);
  for (const v1::CheckResult& c : r.checks()) {
    for (const v1::Finding& f : c.findings()) note(f);
  }
  std::set<std::string> seen;
  for (int i = 0; i < r.actions_size(); ++i) {
    const v1::Recommendation& a = r.actions(i);
    EXPECT_EQ(r.recommendations(i), a.action());
    EXPECT_TRUE(seen.insert(a.action()).second) << "twice: " << a.action();
    ASSERT_GT(a.resolves_size(), 0) << a.action();
    v1::Severity most = v1::SEVERITY_UNSPECIFIED;
    for (int c : a.resolves()) {
      const auto code = static_cast<v1::FindingCode>(c);
      EXPECT_TRUE(present.count(code)) << v1::FindingCode_Name(code) << " not in the report";
      most = std::max(most, worst[code]);
    }
    EXPECT_EQ(a.priority(), most) << a.action();
    if (i > 0) {
      EXPECT_LE(a.priority(), r.actions(i - 1).priority()) << a.action();
    }
  }
  std::set<std::string> practice;
  for (const std::string& g : r.good_practice()) {
    EXPECT_TRUE(practice.insert(g).second) << "twice: " << g;
    EXPECT_FALSE(seen.count(g)) << g;
  }
}

}  // namespace mtasts::checks::scoring

#include "server/fleet_summary.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "server/bounded_text.h"

namespace mtasts::server {
namespace {

using google::protobuf::util::TimeUtil;

using Builder = FleetSummaryBuilder;

std::string Key(absl::string_view text) { return BoundText(text, Builder::kMaxKeyOctets).text; }

// A host name as a key: lower case, no trailing dot.
std::string HostKey(absl::string_view name) {
  return Key(absl::AsciiStrToLower(absl::StripSuffix(name, ".")));
}

const v1::CheckResult* CheckNamed(const v1::DomainReport& report, absl::string_view name) {
  for (const v1::CheckResult& c : report.checks()) {
    if (c.check() == name) return &c;
  }
  return nullptr;
}

std::string CodeName(v1::FindingCode code) {
  const std::string& name = v1::FindingCode_Name(code);
  return name.empty() ? absl::StrCat("FINDING_CODE_", static_cast<int>(code)) : name;
}

struct Seen {
  std::string text;
  v1::Severity severity = v1::SEVERITY_UNSPECIFIED;
};

// What a check says about `subject` (a host, an address, a URI): its most
// severe finding naming it (LOW and above); else, with `check_wide`, its most
// severe finding at all; else "ok" when the check reached a verdict, or its
// status ("NOT_RUN", "SKIPPED", "INCONCLUSIVE") when it did not.
Seen CheckSays(const v1::CheckResult* check, absl::string_view subject, bool check_wide) {
  if (check == nullptr) return {"NOT_RUN", v1::SEVERITY_UNSPECIFIED};
  const v1::Finding* about = nullptr;
  const v1::Finding* worst = nullptr;
  for (const v1::Finding& f : check->findings()) {
    if (f.severity() < v1::SEVERITY_LOW) continue;
    if (worst == nullptr || f.severity() > worst->severity()) worst = &f;
    if (!subject.empty() && absl::EqualsIgnoreCase(absl::StripSuffix(f.subject(), "."), subject) &&
        (about == nullptr || f.severity() > about->severity())) {
      about = &f;
    }
  }
  if (about == nullptr && check_wide) about = worst;
  if (about != nullptr) return {CodeName(about->code()), about->severity()};
  switch (check->status()) {
    case v1::CHECK_STATUS_PASS:
    case v1::CHECK_STATUS_WARN:
    case v1::CHECK_STATUS_FAIL:
      return {"ok", v1::SEVERITY_INFO};
    default: {
      const std::string& name = v1::CheckStatus_Name(check->status());
      return {name.empty() ? absl::StrCat(static_cast<int>(check->status()))
                           : std::string(absl::StripPrefix(name, "CHECK_STATUS_")),
              v1::SEVERITY_UNSPECIFIED};
    }
  }
}

// Which example of a group sorts first: by domain, then tag.
bool ExampleBefore(absl::string_view domain, absl::string_view tag, const v1::FleetGroupExample& e) {
  return std::tie(domain, tag) < std::make_tuple(absl::string_view(e.domain()),
                                                 absl::string_view(e.tag()));
}

}  // namespace

void FleetSummaryBuilder::AddReport(const std::string& tag, const v1::DomainReport& report) {
  counts_.AddReport(tag, report);
  AddGroups(tag, report);
}

void FleetSummaryBuilder::AddGroups(const std::string& tag, const v1::DomainReport& report) {
  // Finding codes: each code once per domain, at its most severe.
  std::map<v1::FindingCode, v1::Severity> codes;
  auto note = [&codes](const v1::Finding& f) {
    // INFO findings say that something is right; they are not what a
    // provider looks for in a summary.
    if (f.severity() < v1::SEVERITY_LOW) return;
    v1::Severity& s = codes[f.code()];
    s = std::max(s, f.severity());
  };
  for (const v1::Finding& f : report.domain_findings()) note(f);
  for (const v1::CheckResult& c : report.checks()) {
    for (const v1::Finding& f : c.findings()) note(f);
  }
  for (const auto& [code, severity] : codes) {
    AddToGroup(v1::FLEET_GROUP_KIND_FINDING_CODE, CodeName(code), code, severity, "", report, tag);
  }

  const v1::Evidence& ev = report.evidence();
  // Keys already added for this report, per kind, so each domain counts once.
  absl::flat_hash_set<std::string> done;

  const v1::CheckResult* mx_tls = CheckNamed(report, "mx_tls");
  for (const v1::MxHost& host : ev.mx_hosts()) {
    std::string key = HostKey(host.name());
    if (key.empty() || !done.insert(key).second) continue;
    const Seen seen = CheckSays(mx_tls, key, /*check_wide=*/false);
    AddToGroup(v1::FLEET_GROUP_KIND_MX_HOST, key, v1::FINDING_CODE_UNSPECIFIED, seen.severity,
               seen.text, report, tag);
  }

  done.clear();
  const v1::CheckResult* fetch = CheckNamed(report, "policy_fetch");
  for (const v1::AddressOutcome& a : ev.policy().addresses()) {
    std::string key = Key(a.address());
    if (key.empty() || !done.insert(key).second) continue;
    // The address's own words; how much it matters from the check's
    // findings about that address, else the check's worst.
    const bool ok = a.outcome() == "ok";
    const v1::Severity severity =
        ok ? v1::SEVERITY_INFO : CheckSays(fetch, key, /*check_wide=*/true).severity;
    AddToGroup(v1::FLEET_GROUP_KIND_POLICY_ADDRESS, key, v1::FINDING_CODE_UNSPECIFIED,
               severity, a.outcome().empty() ? "unknown" : a.outcome(), report, tag);
  }

  const v1::CertificateEvidence& cert = ev.policy().certificate();
  if (!cert.subject().empty() || !cert.issuer().empty()) {
    // No fingerprint in the evidence: subject, issuer and expiry tell one
    // certificate (a provider's shared one, a renewal) from another.
    std::string identity = absl::StrCat(cert.subject(), "; issuer ", cert.issuer());
    if (cert.has_not_after()) {
      absl::StrAppend(&identity, "; not after ", TimeUtil::ToString(cert.not_after()));
    }
    const bool valid = cert.validation_error().empty();
    const v1::Severity severity =
        valid ? v1::SEVERITY_INFO : CheckSays(fetch, "", /*check_wide=*/true).severity;
    AddToGroup(v1::FLEET_GROUP_KIND_POLICY_CERTIFICATE, Key(identity),
               v1::FINDING_CODE_UNSPECIFIED, severity,
               valid ? "valid" : cert.validation_error(), report, tag);
  }

  done.clear();
  const v1::CheckResult* tls_rpt = CheckNamed(report, "tls_rpt");
  for (const std::string& uri : ev.tls_rpt().rua()) {
    std::string key = Key(uri);
    if (key.empty() || !done.insert(key).second) continue;
    // A defect of the record reaches every destination in it.
    const Seen seen = CheckSays(tls_rpt, key, /*check_wide=*/true);
    AddToGroup(v1::FLEET_GROUP_KIND_TLS_RPT_DESTINATION, key, v1::FINDING_CODE_UNSPECIFIED,
               seen.severity, seen.text, report, tag);
  }
}

void FleetSummaryBuilder::AddToGroup(v1::FleetGroupKind kind, const std::string& key,
                                     v1::FindingCode code, v1::Severity severity,
                                     absl::string_view outcome, const v1::DomainReport& report,
                                     absl::string_view tag) {
  Kind& k = kinds_[kind];
  auto it = k.groups.find(key);
  if (it == k.groups.end()) {
    if (k.groups.size() >= kMaxKeys) {
      ++k.untracked;
      return;
    }
    it = k.groups.emplace(key, Group{}).first;
  }
  Group& g = it->second;
  ++g.count;
  g.code = code;
  g.severity = std::max(g.severity, severity);

  if (kind != v1::FLEET_GROUP_KIND_FINDING_CODE) {
    const std::string text = BoundText(outcome, kMaxOutcomeOctets).text;
    auto o = std::find_if(g.outcomes.begin(), g.outcomes.end(),
                          [&](const Outcome& x) { return x.text == text; });
    if (o != g.outcomes.end()) {
      ++o->count;
      o->severity = std::max(o->severity, severity);
    } else if (g.outcomes.size() < kMaxOutcomes) {
      g.outcomes.push_back({text, severity, 1});
    } else {
      // Full: a more severe outcome displaces the least severe (the one
      // with the fewest domains among those), so the worst is never lost.
      auto least = std::min_element(g.outcomes.begin(), g.outcomes.end(),
                                    [](const Outcome& a, const Outcome& b) {
                                      return std::tie(a.severity, a.count) <
                                             std::tie(b.severity, b.count);
                                    });
      if (severity > least->severity) *least = {text, severity, 1};
    }
  }

  // The examples: the kExamples smallest (domain, tag), so they do not
  // depend on completion order.
  const std::string shown_tag = BoundText(tag, kMaxTagOctets).text;
  const absl::string_view domain = report.domain();
  auto& ex = g.examples;
  if (ex.size() >= kExamples && !ExampleBefore(domain, shown_tag, ex.back())) return;
  auto at = std::find_if(ex.begin(), ex.end(), [&](const v1::FleetGroupExample& e) {
    return ExampleBefore(domain, shown_tag, e);
  });
  v1::FleetGroupExample e;
  e.set_domain(std::string(domain));
  e.set_tag(shown_tag);
  ex.insert(at, std::move(e));
  if (ex.size() > kExamples) ex.pop_back();
}

v1::FleetSummary FleetSummaryBuilder::Build(absl::Duration elapsed) const {
  v1::FleetSummary summary;
  summary.set_received(received_);
  counts_.WriteTo(elapsed, &summary);

  for (int kind = 0; kind < static_cast<int>(kinds_.size()); ++kind) {
    const Kind& k = kinds_[kind];
    if (k.groups.empty() && k.untracked == 0) continue;
    v1::FleetGrouping* grouping = summary.add_groupings();
    grouping->set_kind(static_cast<v1::FleetGroupKind>(kind));
    std::vector<std::pair<const std::string*, const Group*>> order;
    order.reserve(k.groups.size());
    for (const auto& [key, group] : k.groups) order.emplace_back(&key, &group);
    // Most domains, then most severe, then by key: the same fleet gives the
    // same groups whatever the order of completion or of the hash map.
    auto before = [](const auto& a, const auto& b) {
      if (a.second->count != b.second->count) return a.second->count > b.second->count;
      if (a.second->severity != b.second->severity) return a.second->severity > b.second->severity;
      return *a.first < *b.first;
    };
    const size_t sent = std::min(order.size(), kGroupsSent);
    std::partial_sort(order.begin(), order.begin() + sent, order.end(), before);
    for (size_t i = 0; i < sent; ++i) {
      const std::string& key = *order[i].first;
      const Group& g = *order[i].second;
      v1::FleetGroup* out = grouping->add_groups();
      out->set_key(key);
      out->set_count(g.count);
      out->set_code(g.code);
      out->set_severity(g.severity);
      if (!g.outcomes.empty()) {
        // The worst: most severe, then most domains, then by name.
        const Outcome& worst = *std::min_element(
            g.outcomes.begin(), g.outcomes.end(), [](const Outcome& a, const Outcome& b) {
              if (a.severity != b.severity) return a.severity > b.severity;
              if (a.count != b.count) return a.count > b.count;
              return a.text < b.text;
            });
        out->set_outcome(worst.text);
        out->set_outcome_count(worst.count);
        out->set_severity(worst.severity);
      }
      for (const auto& e : g.examples) *out->add_examples() = e;
    }
    grouping->set_keys_tracked(static_cast<int>(k.groups.size()));
    grouping->set_keys_not_sent(static_cast<int>(k.groups.size() - sent));
    grouping->set_untracked(k.untracked);
  }
  return summary;
}

}  // namespace mtasts::server

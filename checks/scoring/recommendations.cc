#include "checks/scoring/recommendations.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "checks/scoring/report_reading.h"
#include "checks/verdict.h"

namespace mtasts::checks::scoring::internal {
namespace {

// Sort key of the report's domain_findings: before every check.
constexpr int kDomainOrder = -1;

// One finding's contribution to an action.
struct Contribution {
  v1::Severity severity;
  int order;         // kDomainOrder, or the check's position in the report
  std::string key;   // contributions with the same key are one action
  std::string text;  // the action, in full
  v1::FindingCode code;
  std::string host;  // MX host the action concerns ("" when none)
};

bool IsLookupFailure(v1::FindingCode code) {
  switch (code) {
    case v1::MX_LOOKUP_FAILED:
    case v1::TXT_LOOKUP_FAILED:
    case v1::TLSRPT_LOOKUP_FAILED:
    case v1::POLICY_HOST_LOOKUP_FAILED:
    case v1::DNSSEC_LOOKUP_FAILED:
      return true;
    default:
      return false;
  }
}

// The texts of the actions that no single finding row can say well, because
// they depend on the state, on other findings or on the suggestions.
class ActionTexts {
 public:
  ActionTexts(const DomainReport& report, MtaStsState state)
      : report_(report), state_(state), d_(DomainOrPlaceholder(report)) {
    const v1::Evidence& ev = report.evidence();
    null_mx_ = ev.mx_kind() == v1::MX_KIND_NULL;
    const CheckStatus fetch = StatusOf(report, "policy_fetch");
    policy_served_ = Works(fetch) && ev.policy().valid();
    deploying_ = state == v1::MTA_STS_STATE_ABSENT && !null_mx_ &&
                 HasFinding(Find(report, "txt"), v1::TXT_MISSING);
    bogus_ = HasAnyFinding(report, v1::DNSSEC_BOGUS);
    for (const v1::Finding& f : report.domain_findings()) NoteLookupFailure(f);
    for (const CheckResult& c : report.checks()) {
      for (const v1::Finding& f : c.findings()) NoteLookupFailure(f);
    }
    // The defects that make the served policy invalid, when a policy is
    // suggested in its place.
    if (const CheckResult* content = Find(report, "policy_content");
        !deploying_ && content != nullptr && content->status() == v1::CHECK_STATUS_FAIL &&
        !report.suggested_policy().empty()) {
      for (const v1::Finding& f : content->findings()) {
        absl::string_view trimmed = absl::StripAsciiWhitespace(f.title());
        absl::ConsumeSuffix(&trimmed, ".");
        std::string title(trimmed);
        if (f.severity() >= v1::SEVERITY_HIGH && !title.empty() &&
            std::find(invalid_policy_.begin(), invalid_policy_.end(), title) ==
                invalid_policy_.end()) {
          invalid_policy_.push_back(std::move(title));
        }
      }
    }
    // The txt finding that POLICY_WITHOUT_TXT's fix is part of.
    if (const CheckResult* txt = Find(report, "txt");
        txt != nullptr && txt->status() == v1::CHECK_STATUS_FAIL) {
      for (const v1::Finding& f : txt->findings()) {
        const std::string text(absl::StripAsciiWhitespace(f.recommendation()));
        if (f.severity() >= v1::SEVERITY_LOW && !text.empty()) {
          txt_fix_ = text;
          break;
        }
      }
    }
  }

  // The action for `f` found in `check` ("" for a domain finding), as a
  // (key, text) pair; nullopt when it calls for none.
  std::optional<std::pair<std::string, std::string>> For(const v1::Finding& f,
                                                          absl::string_view check) const {
    const v1::FindingCode code = f.code();
    // A domain that accepts no mail needs neither MTA-STS nor TLS reports.
    if (null_mx_ && (code == v1::TXT_MISSING || code == v1::TLSRPT_MISSING)) return std::nullopt;
    if (null_mx_ && state_ != v1::MTA_STS_STATE_ABSENT &&
        (code == v1::MX_NULL || code == v1::MX_MATCH_NULL_MX || code == v1::POLICY_NONE_MODE)) {
      return Keyed("withdraw", Withdraw());
    }
    if (deploying_ && (code == v1::TXT_MISSING || code == v1::POLICY_WITHOUT_TXT ||
                       ((check == "policy_fetch" || check == "policy_content") &&
                        !policy_served_))) {
      if (f.severity() < v1::SEVERITY_LOW && code != v1::TXT_MISSING) return std::nullopt;
      return Keyed("deploy", Deploy());
    }
    if (code == v1::POLICY_WITHOUT_TXT && !txt_fix_.empty()) return Keyed(txt_fix_, txt_fix_);
    // Every defect that makes the served policy invalid is fixed by the one
    // file suggested in its place.
    if (check == "policy_content" && !invalid_policy_.empty() && f.severity() >= v1::SEVERITY_HIGH) {
      return Keyed("fix-policy", FixPolicy());
    }
    if (IsLookupFailure(code)) {
      if (bogus_) return Keyed("dnssec-bogus", BogusText());
      return Keyed("dns", DnsText());
    }
    if (code == v1::DNSSEC_BOGUS) return Keyed("dnssec-bogus", BogusText());
    if (code == v1::POLICY_TESTING_MODE && state_ == v1::MTA_STS_STATE_TESTING) {
      return Keyed("enforce", absl::StrCat(
          "Once TLS reports show no failures for a few weeks, switch the policy "
          "to `mode: enforce` with `max_age: ", kEnforceMaxAge,
          "` and publish a new id at _mta-sts.", d_,
          " so senders fetch it; until then senders still deliver without TLS."));
    }
    if (code == v1::POLICY_NONE_MODE && state_ == v1::MTA_STS_STATE_DISABLED) {
      return Keyed("none",
                   "Mode none switches MTA-STS off. If you are withdrawing it, keep "
                   "this policy and its TXT record for at least the previous "
                   "policy's max_age before removing them (RFC 8461 §8.3); "
                   "otherwise publish `mode: testing` under a new id.");
    }
    if (code == v1::TLSRPT_MISSING) {
      return Keyed("tlsrpt", absl::StrCat(
          "Publish a TLS-RPT record, `_smtp._tls.", d_,
          ". 3600 IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@", d_,
          "\"` with a mailbox you read: senders' TLS reports are the only way "
          "you learn which deliveries fail", 
          state_ == v1::MTA_STS_STATE_TESTING ? " or would fail under enforce." : "."));
    }
    if (f.severity() < v1::SEVERITY_LOW) return std::nullopt;
    std::string text(absl::StripAsciiWhitespace(f.recommendation()));
    if (text.empty()) return std::nullopt;
    return Keyed(text, text);
  }

 private:
  static std::pair<std::string, std::string> Keyed(std::string key, std::string text) {
    return {std::move(key), std::move(text)};
  }

  void NoteLookupFailure(const v1::Finding& f) {
    if (!IsLookupFailure(f.code())) return;
    std::string name = f.subject().empty() ? d_ : f.subject();
    if (std::find(failed_names_.begin(), failed_names_.end(), name) == failed_names_.end()) {
      failed_names_.push_back(std::move(name));
    }
  }

  std::string Deploy() const {
    const std::string url = absl::StrCat("https://mta-sts.", d_, "/.well-known/mta-sts.txt");
    if (policy_served_) {
      return absl::StrCat("Publish the suggested TXT record at _mta-sts.", d_,
                          ": senders look it up before they fetch the policy "
                          "already served at ", url, ", and without it they never do.");
    }
    return absl::StrCat(
        "To deploy MTA-STS, publish ",
        report_.suggested_policy().empty() ? "a policy listing your MX hosts"
                                           : "the suggested policy",
        " at ", url, " (with a valid certificate for mta-sts.", d_,
        "), then the suggested TXT record at _mta-sts.", d_,
        "; start in mode testing and switch to enforce once TLS reports show "
        "no failures.");
  }

  std::string FixPolicy() const {
    std::vector<std::string> lower;
    for (const std::string& t : invalid_policy_) {
      std::string l = t;
      if (l.size() > 1 && absl::ascii_isupper(l[0]) && !absl::ascii_isupper(l[1])) {
        l[0] = absl::ascii_tolower(l[0]);
      }
      lower.push_back(std::move(l));
    }
    return absl::StrCat("Replace the policy at https://mta-sts.", d_,
                        "/.well-known/mta-sts.txt with the suggested policy, which fixes "
                        "what makes it invalid (", absl::StrJoin(lower, "; "),
                        "), and publish the suggested TXT record so that senders fetch it.");
  }

  std::string Withdraw() const {
    if (report_.suggested_policy().empty()) {
      return "The domain publishes a null MX and accepts no mail, so MTA-STS "
             "protects nothing here: keep the mode none policy for at least the "
             "previous policy's max_age, then remove the TXT record and the "
             "policy (RFC 8461 §8.3).";
    }
    return "The domain publishes a null MX and accepts no mail, so MTA-STS "
           "protects nothing here: to withdraw it, serve a mode none policy (as "
           "suggested) under a new id, wait for the previous policy's max_age, "
           "then remove the TXT record and the policy (RFC 8461 §8.3).";
  }

  std::string BogusText() const {
    return absl::StrCat(
        "Fix the DNSSEC signatures of ", d_,
        ": validating resolvers answer SERVFAIL for names that fail validation"
        , failed_names_.empty() ? "" : absl::StrCat(" (", JoinNames(failed_names_), ")"),
        ". Re-sign the zone and make sure signatures are refreshed before they "
        "expire; if you changed DNS hosts or keys, make the DS record at the "
        "registrar match the zone's current key.");
  }

  std::string DnsText() const {
    return absl::StrCat(
        "Make sure every authoritative name server of ", d_,
        " answers, with the record or a proper NXDOMAIN or empty answer, for ",
        JoinNames(failed_names_),
        " (`dig +trace` follows the delegation); with DNSSEC, check the "
        "signatures and the DS record at the registrar.");
  }

  const DomainReport& report_;
  MtaStsState state_;
  std::string d_;
  bool null_mx_ = false;
  bool policy_served_ = false;
  bool deploying_ = false;
  bool bogus_ = false;
  std::vector<std::string> failed_names_;
  std::vector<std::string> invalid_policy_;  // titles of its defects
  std::string txt_fix_;
};
}  // namespace

std::vector<v1::Recommendation> Actions(const DomainReport& report, MtaStsState state) {
  const ActionTexts texts(report, state);
  std::vector<Contribution> all;
  const auto add = [&](const v1::Finding& f, int order, absl::string_view check) {
    auto action = texts.For(f, check);
    if (!action.has_value()) return;
    // An action about one MX host says which (mx_tls and DANE findings
    // name the host as their subject).
    std::string host;
    if (check == "mx_tls" || absl::StartsWith(v1::FindingCode_Name(f.code()), "DANE_")) {
      host = f.subject();
    }
    all.push_back({f.severity(), order, std::move(action->first), std::move(action->second),
                   f.code(), std::move(host)});
  };
  for (const v1::Finding& f : report.domain_findings()) add(f, kDomainOrder, "");
  for (int i = 0; i < report.checks_size(); ++i) {
    // A check without a verdict says something about the checker's vantage
    // or deadline, not a change the domain should make.
    if (!HasVerdict(report.checks(i).status())) continue;
    for (const v1::Finding& f : report.checks(i).findings()) add(f, i, report.checks(i).check());
  }
  std::stable_sort(all.begin(), all.end(), [](const Contribution& a, const Contribution& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    return a.order < b.order;
  });
  std::vector<v1::Recommendation> out;
  std::vector<std::vector<std::string>> hosts;  // per action
  absl::flat_hash_map<std::string, size_t> by_key;
  for (Contribution& c : all) {
    auto [it, inserted] = by_key.try_emplace(c.key, out.size());
    if (inserted) {
      v1::Recommendation& r = out.emplace_back();
      r.set_action(std::move(c.text));
      r.set_priority(c.severity);
      hosts.emplace_back();
    }
    v1::Recommendation& r = out[it->second];
    if (std::find(r.resolves().begin(), r.resolves().end(), c.code) == r.resolves().end()) {
      r.add_resolves(c.code);
    }
    std::vector<std::string>& h = hosts[it->second];
    if (!c.host.empty() && std::find(h.begin(), h.end(), c.host) == h.end()) h.push_back(c.host);
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (!hosts[i].empty()) {
      out[i].set_action(absl::StrCat("On ", JoinNames(hosts[i]), ": ", out[i].action()));
    }
  }
  return out;
}

std::vector<std::string> GoodPractice(const DomainReport& report, MtaStsState state) {
  std::vector<std::string> out;
  const std::string d = DomainOrPlaceholder(report);
  const v1::Evidence& ev = report.evidence();
  const bool in_use = state == v1::MTA_STS_STATE_ENFORCED || state == v1::MTA_STS_STATE_TESTING;
  if (!in_use) return out;
  // A suggestion already comes with its new id.
  if (report.suggested_txt().empty()) {
    out.push_back(absl::StrCat("Change the id at _mta-sts.", d,
                               " with every edit of the policy, or senders keep "
                               "their cached copy until its max_age runs out."));
  }
  const bool exact_names =
      ev.policy().mx_size() > 0 &&
      std::none_of(ev.policy().mx().begin(), ev.policy().mx().end(),
                   [](const std::string& p) { return absl::StartsWith(p, "*."); });
  if (exact_names) {
    out.push_back(
        "Before you add or rename an MX host, add it to the policy (with a new "
        "id) and only then change the MX records: senders refuse MX hosts the "
        "policy does not list.");
  }
  if (state == v1::MTA_STS_STATE_ENFORCED && ev.tls_rpt().valid()) {
    out.push_back(absl::StrCat("Read the TLS reports sent to ", JoinNames(std::vector<std::string>(
                                                                  ev.tls_rpt().rua().begin(),
                                                                  ev.tls_rpt().rua().end())),
                               ": they show deliveries that fail."));
  }
  return out;
}

}  // namespace mtasts::checks::scoring::internal

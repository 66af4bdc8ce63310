#include "checks/scoring/suggestions.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "checks/scoring/report_reading.h"
#include "checks/verdict.h"

namespace mtasts::checks::scoring::internal {
namespace {

// Null MX and nothing published: a domain that accepts no mail has nothing
// for MTA-STS to protect, so we suggest nothing rather than busywork. When
// something is published, we suggest mode none so it can be withdrawn cleanly
// (RFC 8461 §8.3).
bool NothingToSuggest(const DomainReport& report, MtaStsState state) {
  return report.evidence().mx_kind() == v1::MX_KIND_NULL &&
         state == v1::MTA_STS_STATE_ABSENT;
}

// A policy as its lines: mode, mx patterns in order, max_age.
struct PolicyLines {
  v1::PolicyMode mode = v1::POLICY_MODE_UNSPECIFIED;
  std::vector<std::string> mx;
  int64_t max_age = 0;
};

// "v=STSv1; id=<checked_at as YYYYMMDDHHMMSS UTC>", or "" without a time.
// A fresh id: senders refetch the policy only when the id changes (RFC 8461
// §3.1), so a new policy under an old id would leave cached copies in force.
std::string FreshTxt(const DomainReport& report) {
  if (!report.has_checked_at()) return "";
  const absl::Time at = absl::FromUnixSeconds(report.checked_at().seconds());
  std::string id = absl::FormatTime("%Y%m%d%H%M%S", at, absl::UTCTimeZone());
  // Re-checked within the second the current id was minted by us: still fresh.
  if (id == report.evidence().sts_id()) id += "1";
  return absl::StrCat("v=STSv1; id=", id);
}
}  // namespace

Suggestions Suggest(const DomainReport& report, MtaStsState state) {
  Suggestions out;
  const std::string d = DomainOrPlaceholder(report);
  const v1::Evidence& ev = report.evidence();
  if (NothingToSuggest(report, state)) {
    out.notes.push_back(absl::StrCat(
        d, " publishes a null MX and no MTA-STS: it accepts no mail, so there "
        "is nothing to publish."));
    return out;
  }
  if (HasFinding(Find(report, "txt"), v1::TXT_NAME_TOO_LONG)) {
    out.notes.push_back(absl::StrCat(
        "_mta-sts.", d, " would be longer than DNS allows, so no MTA-STS "
        "policy can be published for ", d, "."));
    return out;
  }
  std::vector<std::string> hosts;
  absl::flat_hash_set<std::string> seen;
  for (const v1::MxHost& mx : ev.mx_hosts()) {
    std::string host = NormalizeHost(mx.name());
    if (!host.empty() && seen.insert(host).second) hosts.push_back(std::move(host));
  }
  const bool null_mx = ev.mx_kind() == v1::MX_KIND_NULL;
  if (!null_mx && hosts.empty() && ev.mx_kind() != v1::MX_KIND_NONE) {
    out.notes.push_back(absl::StrCat("The MX hosts of ", d,
                                     " could not be determined, so no policy "
                                     "can be suggested."));
    return out;
  }

  const v1::PolicyEvidence& served = ev.policy();
  const bool served_valid = served.valid() && served.mode() != v1::POLICY_MODE_UNSPECIFIED;
  const bool served_any = served.http_status() == 200 && !served.body().empty();
  PolicyLines want;
  std::vector<std::string> line_notes;
  const auto note = [&](std::string n) { line_notes.push_back(std::move(n)); };

  if (null_mx || hosts.empty()) {
    // No mail host to name: mode none is the only policy valid without mx
    // lines (RFC 8461 §3.2), and the clean way to withdraw (§8.3).
    want.mode = v1::POLICY_MODE_NONE;
    want.max_age = served_valid && served.max_age() > 0 ? served.max_age() : kTestingMaxAge;
    if (served.mode() != v1::POLICY_MODE_NONE || !served_valid) {
      note(absl::StrCat("mode: none: ", d,
                        null_mx ? " publishes a null MX and accepts no mail"
                                : " has no MX hosts to list",
                        "; mode none withdraws MTA-STS cleanly (RFC 8461 §8.3)."));
    }
  } else {
    // The mode as served (parsed even from an invalid policy), else testing.
    want.mode = served.mode() != v1::POLICY_MODE_UNSPECIFIED ? served.mode()
                                                             : v1::POLICY_MODE_TESTING;
    if (want.mode != served.mode()) {
      note("mode: testing: senders report TLS problems but still deliver; move "
           "to enforce once the reports show no failures.");
    }
    const bool matched_known = HasVerdict(StatusOf(report, "mx_match"));
    if (served_valid && !matched_known) {
      // Nothing says which patterns work: keep them as served.
      want.mx.assign(served.mx().begin(), served.mx().end());
    } else if (served_valid) {
      absl::flat_hash_set<std::string> used;
      std::vector<std::string> unmatched;
      for (const v1::MxHost& mx : ev.mx_hosts()) {
        if (mx.matched_pattern().empty()) {
          std::string host = NormalizeHost(mx.name());
          if (std::find(unmatched.begin(), unmatched.end(), host) == unmatched.end()) {
            unmatched.push_back(std::move(host));
          }
        } else {
          used.insert(mx.matched_pattern());
        }
      }
      for (const std::string& p : served.mx()) {
        if (used.contains(p)) {
          if (std::find(want.mx.begin(), want.mx.end(), p) == want.mx.end()) want.mx.push_back(p);
        } else {
          note(absl::StrCat("`mx: ", p, "` removed: it matches no MX host of ", d, "."));
        }
      }
      for (const std::string& h : unmatched) {
        want.mx.push_back(h);
        note(absl::StrCat("`mx: ", h, "` added: the MX host ", h,
                          " matches no pattern of the served policy, so senders "
                          "applying it refuse that host."));
      }
    } else {
      want.mx = hosts;
      note(absl::StrCat("mx: one line per MX host of ", d,
                        ", each by its exact name (a wildcard would also cover "
                        "hosts you never chose)."));
    }
    if (want.mode == v1::POLICY_MODE_ENFORCE) {
      want.max_age = served_valid && served.max_age() >= 86400 ? served.max_age() : kEnforceMaxAge;
    } else {
      want.max_age = served_valid && served.max_age() > 0 ? served.max_age() : kTestingMaxAge;
    }
    if (served_valid && want.max_age != served.max_age()) {
      note(absl::StrCat("max_age: ", want.max_age, " (was ", served.max_age(),
                        "): under a day, senders' cached protection lapses "
                        "quickly; a week is common."));
    } else if (!served_valid) {
      note(absl::StrCat("max_age: ", want.max_age,
                        want.mode == v1::POLICY_MODE_ENFORCE
                            ? ": a week; senders keep the policy that long."
                            : ": a day, short while you are still changing the policy."));
    }
  }

  const bool same = served_valid && served.mode() == want.mode &&
                    served.max_age() == want.max_age &&
                    std::equal(served.mx().begin(), served.mx().end(), want.mx.begin(),
                               want.mx.end());
  const CheckStatus txt = StatusOf(report, "txt");
  // A TXT record senders cannot use (missing, invalid, several) needs
  // replacing even when the policy is right.
  const bool txt_broken = txt == v1::CHECK_STATUS_FAIL || txt == v1::CHECK_STATUS_WARN;
  if (same) {
    if (txt_broken) {
      const bool keep_id = txt == v1::CHECK_STATUS_WARN && !ev.sts_id().empty();
      out.txt = keep_id ? absl::StrCat("v=STSv1; id=", ev.sts_id()) : FreshTxt(report);
      out.notes.push_back(absl::StrCat(
          "The policy served at https://mta-sts.", d,
          "/.well-known/mta-sts.txt already is what we would suggest; only the "
          "TXT record at _mta-sts.", d, " needs ",
          keep_id ? "rewriting (same id, as the policy is unchanged)." : "publishing."));
    } else {
      out.notes.push_back(absl::StrCat(
          "The policy served at https://mta-sts.", d,
          "/.well-known/mta-sts.txt and the TXT record at _mta-sts.", d,
          " already are what we would suggest: nothing to publish."));
    }
    return out;
  }

  out.policy = absl::StrCat("version: STSv1\nmode: ", ModeName(want.mode), "\n");
  for (const std::string& m : want.mx) absl::StrAppend(&out.policy, "mx: ", m, "\n");
  absl::StrAppend(&out.policy, "max_age: ", want.max_age, "\n");
  out.txt = FreshTxt(report);
  if (!served_valid) {
    out.notes.push_back(
        served_any ? "The served policy is not valid (see policy_content): this "
                     "one keeps its mode where it could be read."
                   : absl::StrCat("No policy is served: publish this one at https://mta-sts.",
                                  d, "/.well-known/mta-sts.txt."));
  }
  for (std::string& n : line_notes) out.notes.push_back(std::move(n));
  out.notes.push_back(absl::StrCat(
      "The TXT record gets a new id so that senders fetch the new policy."));
  return out;
}

}  // namespace mtasts::checks::scoring::internal

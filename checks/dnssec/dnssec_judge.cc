#include "checks/dnssec/dnssec_judge.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "checks/dnssec/dane.h"
#include "checks/dnssec/dnssec_findings.h"
#include "checks/findings/lookup_verdict.h"
#include "checks/findings/report_text.h"

namespace mtasts::checks {
namespace {

using net::DnssecSecurity;
using net::ValidatedResult;

std::string What(const ValidatedResult& r) {
  return absl::StrCat(net::DnsTypeName(r.type), " answer for ", r.name);
}

std::string FailureWords(const ValidatedResult& r) {
  return absl::StrCat(net::DnsOutcomeName(r.outcome),
                      r.detail.empty() ? "" : absl::StrCat(" (", SanitizeForReport(r.detail), ")"));
}

bool Absent(const ValidatedResult& r) {
  return r.outcome == net::DnsOutcome::kNxDomain || r.outcome == net::DnsOutcome::kNoData;
}

// Every lookup of `obs`, in a fixed order.
template <typename Obs, typename Fn>
void ForEachLookup(Obs& obs, Fn fn) {
  fn(obs.mx);
  fn(obs.sts_txt);
  for (auto& r : obs.policy_host) fn(r);
  for (auto& h : obs.mx_hosts) {
    for (auto& r : h.addresses) fn(r);
    fn(h.tlsa);
  }
}

class Judge {
 public:
  Judge(const DnssecObservations& obs, v1::Evidence* ev) : obs_(obs), ev_(ev) {}

  CheckVerdict Run() {
    Record(obs_.mx, "mx");
    Record(obs_.sts_txt, "mta_sts_txt");
    for (const auto& r : obs_.policy_host) Record(r, "policy_host");
    for (const auto& h : obs_.mx_hosts) {
      for (const auto& r : h.addresses) Record(r, "mx_host");
    }
    CheckVerdict v = Core();
    Hosts(&v);
    Dane(&v);
    std::stable_sort(findings_.begin(), findings_.end(),
                     [](const v1::Finding& a, const v1::Finding& b) {
                       return a.severity() > b.severity();
                     });
    v.findings = std::move(findings_);
    return v;
  }

 private:
  void Add(v1::FindingCode code, std::string detail, const std::string& subject) {
    findings_.push_back(DnssecFindings().Make(code, std::move(detail), subject));
  }

  void Record(const ValidatedResult& r, const char* role) {
    v1::DnssecEvidence* e = ev_->add_dnssec();
    e->set_name(SanitizeForReport(r.name));
    e->set_type(net::DnsTypeName(r.type));
    e->set_state(ToDnssecState(r.security));
    e->set_reason(SanitizeForReport(r.why_bogus));
    e->set_outcome(ToProtoOutcome(r.outcome));
    e->set_detail(SanitizeForReport(r.detail));
    e->set_role(role);
  }

  // The scored part: the MX RRset and the _mta-sts TXT answer.
  CheckVerdict Core() {
    CheckVerdict v;
    int secure = 0;
    std::vector<std::string> bogus, failed, insecure;
    for (const ValidatedResult* r : {&obs_.mx, &obs_.sts_txt}) {
      switch (r->security) {
        case DnssecSecurity::kSecure:
          ++secure;
          break;
        case DnssecSecurity::kBogus:
          bogus.push_back(r->name);
          Add(v1::DNSSEC_BOGUS,
              absl::StrCat("The ", What(*r), " is BOGUS: ", SanitizeForReport(r->why_bogus),
                           ". Validating resolvers answer SERVFAIL for it."),
              r->name);
          break;
        case DnssecSecurity::kInsecure:
          insecure.push_back(r->name);
          Add(v1::DNSSEC_INSECURE,
              absl::StrCat("The ", What(*r), " is INSECURE: the zone is not signed, or its "
                           "delegation has no DS record, so the answer cannot be validated."),
              r->name);
          break;
        case DnssecSecurity::kUnknown:
          failed.push_back(r->name);
          // Our own load says nothing about the domain: its own code.
          Add(r->outcome == net::DnsOutcome::kResolverOverloaded
                  ? v1::DNSSEC_VALIDATOR_OVERLOADED
                  : v1::DNSSEC_LOOKUP_FAILED,
              absl::StrCat("The validated ", What(*r), " failed: ", FailureWords(*r), "."),
              r->name);
          break;
      }
    }
    if (!bogus.empty()) {
      v.status = v1::CHECK_STATUS_FAIL;
      v.fraction = 0;
      v.summary = absl::StrCat("DNSSEC validation fails (BOGUS) for ", absl::StrJoin(bogus, ", "),
                               ": validating senders cannot resolve it.");
    } else if (!failed.empty()) {
      v.status = v1::CHECK_STATUS_INCONCLUSIVE;
      v.summary = absl::StrCat("No validated answer for ", absl::StrJoin(failed, ", "),
                               "; left out of the score.");
    } else if (secure == 2) {
      v.status = v1::CHECK_STATUS_PASS;
      v.fraction = 1;
      Add(v1::DNSSEC_SECURE,
          absl::StrCat("The MX and _mta-sts TXT answers of ", obs_.domain,
                       " validate as SECURE from the trust anchor."),
          obs_.domain);
      v.summary = "The MX and _mta-sts TXT answers validate as SECURE.";
    } else {
      v.status = v1::CHECK_STATUS_WARN;
      v.fraction = secure / 2.0;
      v.summary = absl::StrCat("Not DNSSEC-signed (INSECURE): ", absl::StrJoin(insecure, ", "),
                               ".");
    }
    return v;
  }

  // Address lookups: BOGUS blocks validating senders; INSECURE is information.
  void Hosts(CheckVerdict* v) {
    std::vector<std::string> insecure;
    std::vector<const ValidatedResult*> all;
    for (const auto& r : obs_.policy_host) all.push_back(&r);
    for (const auto& h : obs_.mx_hosts) {
      for (const auto& r : h.addresses) all.push_back(&r);
    }
    for (const ValidatedResult* r : all) {
      if (r->security == DnssecSecurity::kBogus) {
        Add(v1::DNSSEC_BOGUS,
            absl::StrCat("The ", What(*r), " is BOGUS: ", SanitizeForReport(r->why_bogus),
                         ". Validating senders cannot reach this host."),
            r->name);
        Raise(v);
      } else if (r->security == DnssecSecurity::kInsecure &&
                 std::find(insecure.begin(), insecure.end(), r->name) == insecure.end()) {
        insecure.push_back(r->name);
      }
    }
    if (!insecure.empty()) {
      std::vector<absl::string_view> names(insecure.begin(), insecure.end());
      Add(v1::DNSSEC_HOST_INSECURE,
          absl::StrCat("Address lookups of ", QuoteListForDetail(names),
                       " are INSECURE (not signed)."),
          obs_.domain);
    }
  }

  // A HIGH finding outside the scored answers makes a passing check WARN.
  static void Raise(CheckVerdict* v) {
    if (v->status == v1::CHECK_STATUS_PASS) v->status = v1::CHECK_STATUS_WARN;
  }

  v1::DaneEvidence* DaneFor(const std::string& host) {
    for (v1::MxHost& h : *ev_->mutable_mx_hosts()) {
      if (h.name() == host) return h.mutable_dane();
    }
    return nullptr;
  }

  void Dane(CheckVerdict* v) {
    // DANE_NOT_PUBLISHED only when every TLSA lookup proved the absence.
    bool any_published = false, any_usable = false, any_known = false, any_doubt = false;
    for (const auto& h : obs_.mx_hosts) {
      const ValidatedResult& t = h.tlsa;
      v1::DaneEvidence scratch;
      v1::DaneEvidence* dane = DaneFor(h.host);
      if (dane == nullptr) dane = &scratch;
      dane->set_state(ToDnssecState(t.security));
      dane->set_outcome(ToProtoOutcome(t.outcome));
      dane->set_detail(SanitizeForReport(t.detail));
      const std::string owner = absl::StrCat("_25._tcp.", h.host);
      if (t.security == DnssecSecurity::kBogus) {
        any_doubt = true;
        Add(v1::DANE_BOGUS,
            absl::StrCat("The TLSA lookup of ", owner, " is BOGUS: ",
                         SanitizeForReport(t.why_bogus),
                         ". DANE senders cannot tell whether DANE applies and defer mail to ",
                         h.host, "."),
            h.host);
        Raise(v);
        continue;
      }
      if (t.security == DnssecSecurity::kUnknown) {
        any_doubt = true;
        Add(v1::DANE_LOOKUP_FAILED,
            absl::StrCat("The TLSA lookup of ", owner, " failed: ", FailureWords(t), "."), h.host);
        continue;
      }
      any_known = true;
      if (Absent(t) || t.rdata.empty()) continue;
      any_published = true;
      dane->set_published(true);
      std::vector<std::string> unusable;
      bool usable = false;
      for (const std::string& rd : t.rdata) {
        auto rec = ParseTlsaRdata(rd);
        if (!rec.ok()) {
          unusable.push_back(absl::StrCat("malformed record: ", rec.status().message()));
          continue;
        }
        dane->add_tlsa_records(TlsaPresentation(*rec));
        if (std::string why = TlsaUnusableReason(*rec); !why.empty()) {
          unusable.push_back(absl::StrCat(TlsaPresentation(*rec).substr(0, 24), "...: ", why));
        } else {
          usable = true;
        }
      }
      if (t.security == DnssecSecurity::kInsecure) {
        Add(v1::DANE_UNUSABLE_INSECURE,
            absl::StrCat(owner, " publishes ", t.rdata.size(),
                         " TLSA record(s), but the zone is INSECURE (not signed), so senders "
                         "ignore them (RFC 7672 §2.2)."),
            h.host);
        continue;
      }
      if (!unusable.empty()) {
        Add(v1::DANE_RECORD_UNUSABLE,
            absl::StrCat("TLSA records at ", owner, " that SMTP cannot use: ",
                         absl::StrJoin(unusable, "; "), "."),
            h.host);
      }
      dane->set_usable(usable);
      if (usable) {
        any_usable = true;
        Add(v1::DANE_USABLE,
            absl::StrCat(owner, " publishes ", t.rdata.size(),
                         " TLSA record(s) that validate as SECURE: DANE applies to ", h.host, "."),
            h.host);
      }
    }
    if (any_usable) {
      Add(v1::DANE_PRECEDES_MTA_STS,
          "At least one MX host has usable DANE TLSA records. Senders that support DANE "
          "authenticate it with DANE, and RFC 8461 §2 forbids them to let MTA-STS override a "
          "failing DANE validation.",
          obs_.domain);
    } else if (!any_published && any_known && !any_doubt) {
      Add(v1::DANE_NOT_PUBLISHED, "No MX host publishes TLSA records at _25._tcp.<host>.",
          obs_.domain);
    }
  }

  const DnssecObservations& obs_;
  v1::Evidence* ev_;
  std::vector<v1::Finding> findings_;
};

}  // namespace

v1::DnssecState ToDnssecState(net::DnssecSecurity security) {
  switch (security) {
    case DnssecSecurity::kSecure: return v1::DNSSEC_STATE_SECURE;
    case DnssecSecurity::kInsecure: return v1::DNSSEC_STATE_INSECURE;
    case DnssecSecurity::kBogus: return v1::DNSSEC_STATE_BOGUS;
    case DnssecSecurity::kUnknown: return v1::DNSSEC_STATE_INDETERMINATE;
  }
  return v1::DNSSEC_STATE_UNSPECIFIED;
}

bool HasTimeout(const DnssecObservations& obs) {
  bool any = false;
  ForEachLookup(obs, [&](const ValidatedResult& r) {
    any = any || r.outcome == net::DnsOutcome::kTimeout;
  });
  return any;
}

void MarkOwnOverload(int mass_runs, DnssecObservations* obs) {
  if (mass_runs <= 0) return;
  ForEachLookup(*obs, [&](ValidatedResult& r) {
    if (r.outcome != net::DnsOutcome::kTimeout) return;
    r.outcome = net::DnsOutcome::kResolverOverloaded;
    r.detail = absl::StrCat(r.detail, r.detail.empty() ? "" : "; ", "validated lookups of ",
                            mass_runs,
                            " domains checked at the same time timed out too, so the checker's "
                            "validator or its forwarder is overloaded");
  });
}

CheckVerdict JudgeDnssec(const DnssecObservations& obs, v1::Evidence* evidence) {
  return Judge(obs, evidence).Run();
}

}  // namespace mtasts::checks

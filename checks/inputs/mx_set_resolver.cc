#include "checks/inputs/mx_set_resolver.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "checks/findings/finding.h"
#include "checks/inputs/run_inputs.h"

namespace mtasts::checks {

void MxSetResolver::Start(absl::AnyInvocable<void()> on_progress) {
  on_progress_ = std::move(on_progress);
  ctx_.dns().Query(ctx_.domain(), net::RrType::kMx,
                   [this](net::DnsResult result) { OnMxLookup(std::move(result)); });
}

void MxSetResolver::GiveUp(absl::Duration budget) {
  if (gave_up_) return;
  gave_up_ = true;
  if (!mx_ready_) {
    mx_ready_ = true;
    // The run was cut short (often by the caller's own deadline): that says
    // nothing certain about the domain, so not MX_LOOKUP_FAILED.
    add_domain_finding_(EngineFindings().Make(
        v1::CHECK_TIMED_OUT,
        absl::StrCat("The run was cut short: the MX lookup was still waiting for an answer "
                     "when the ", absl::FormatDuration(budget),
                     " deadline for this domain expired, so the MX set is unknown.")));
  }
  address_lookups_pending_ = 0;
}

void MxSetResolver::OnMxLookup(net::DnsResult result) {
  if (gave_up_) return;
  ctx_.RecordLookup(result);
  v1::Evidence& ev = ctx_.evidence();
  const std::string& domain = ctx_.domain();
  const FindingTable& table = MxSetFindings();
  switch (result.outcome) {
    case net::DnsOutcome::kAnswer: {
      std::vector<net::MxRecord> hosts;
      for (const auto& mx : result.mx) {
        // RFC 7505: a null MX is the single record "0 ."; its host is empty.
        if (mx.host.empty()) {
          mx_set_.null_mx = true;
          continue;
        }
        hosts.push_back(mx);
      }
      std::sort(hosts.begin(), hosts.end(), [](const auto& a, const auto& b) {
        return a.preference != b.preference ? a.preference < b.preference : a.host < b.host;
      });
      hosts.erase(std::unique(hosts.begin(), hosts.end()), hosts.end());
      if (static_cast<int>(hosts.size()) > max_mx_hosts_) hosts.resize(max_mx_hosts_);
      mx_set_.hosts = hosts;
      if (mx_set_.null_mx && !hosts.empty()) {
        add_domain_finding_(table.Make(
            v1::MX_NULL_MIXED, absl::StrCat("The MX set holds a null MX (\"0 .\") and ",
                                            hosts.size(), " other host(s).")));
        ev.set_mx_kind(v1::MX_KIND_HOSTS);
      } else if (mx_set_.null_mx) {
        add_domain_finding_(table.Make(
            v1::MX_NULL,
            absl::StrCat(domain, " publishes a null MX (\"0 .\"): it accepts no mail.")));
        ev.set_mx_kind(v1::MX_KIND_NULL);
      } else {
        ev.set_mx_kind(v1::MX_KIND_HOSTS);
      }
      break;
    }
    case net::DnsOutcome::kNoData:
      ev.set_mx_kind(v1::MX_KIND_NONE);
      add_domain_finding_(table.Make(
          v1::MX_NONE, absl::StrCat(domain,
                                    " has no MX records; senders deliver to its own address "
                                    "(implicit MX, RFC 5321 §5.1).")));
      break;
    case net::DnsOutcome::kUnreachable:
      add_domain_finding_(table.Make(
          v1::RESOLVER_UNREACHABLE,
          absl::StrCat("The MX lookup for ", domain, " could not be made: ", result.detail, ".")));
      break;
    case net::DnsOutcome::kResolverOverloaded:
      // Our resolver, not the domain's zone: MX_LOOKUP_FAILED would blame the domain.
      add_domain_finding_(table.Make(
          v1::RESOLVER_OVERLOADED,
          absl::StrCat("The MX lookup for ", domain, " got no answer from the checker's own "
                       "resolver: ", result.detail, ".")));
      break;
    case net::DnsOutcome::kNxDomain:
      add_domain_finding_(table.Make(
          v1::DOMAIN_NOT_FOUND, absl::StrCat("The MX lookup for ", domain,
                                             " returned NXDOMAIN: the domain does not exist.")));
      break;
    default:
      add_domain_finding_(table.Make(
          v1::MX_LOOKUP_FAILED,
          absl::StrCat("The MX lookup for ", domain, " failed: ",
                       net::DnsOutcomeName(result.outcome),
                       result.detail.empty() ? "" : absl::StrCat(" (", result.detail, ")"),
                       ".")));
      break;
  }
  mx_set_.lookup = std::move(result);
  mx_set_.addresses.resize(mx_set_.hosts.size());

  for (size_t i = 0; i < mx_set_.hosts.size(); ++i) {
    v1::MxHost* host = ev.add_mx_hosts();
    host->set_name(mx_set_.hosts[i].host);
    host->set_preference(mx_set_.hosts[i].preference);
    for (net::RrType type : {net::RrType::kA, net::RrType::kAaaa}) {
      ++address_lookups_pending_;
      ctx_.dns().Query(mx_set_.hosts[i].host, type,
                       [this, i](net::DnsResult r) { OnHostAddresses(i, std::move(r)); });
    }
  }
  mx_ready_ = true;
  if (on_progress_) on_progress_();
}

void MxSetResolver::OnHostAddresses(size_t host_index, net::DnsResult result) {
  if (gave_up_) return;
  --address_lookups_pending_;
  ctx_.RecordLookup(result);
  MxSet::HostAddresses& lookups = mx_set_.addresses[host_index];
  (result.type == net::RrType::kAaaa ? lookups.aaaa : lookups.a) = result;
  v1::MxHost* host = ctx_.evidence().mutable_mx_hosts(static_cast<int>(host_index));
  for (const auto& address : result.addresses) host->add_addresses(address);
  // The A and AAAA lookups see the same alias; record it once.
  if (!result.cname_chain.empty() && host->cname_chain().empty()) {
    for (const auto& alias : result.cname_chain) host->add_cname_chain(alias);
    add_domain_finding_(MxSetFindings().Make(
        v1::MX_TARGET_IS_CNAME,
        absl::StrCat("MX host ", host->name(), " is an alias (CNAME) for ",
                     absl::StrJoin(result.cname_chain, " -> "),
                     ". Senders match its certificate and the policy's mx: patterns against ",
                     host->name(), ", the name in the MX record (RFC 8461 §4.1), not against ",
                     result.cname_chain.back(), ": the certificate must list ", host->name(),
                     "."),
        host->name()));
  }
  if (address_lookups_pending_ == 0 && on_progress_) on_progress_();
}

}  // namespace mtasts::checks

// The tls_rpt check: the _smtp._tls.<domain> TXT record (RFC 8460 §3), then
// whether its rua destinations can receive reports. The lookups are here;
// the judging is pure: JudgeTlsRptLookup (tlsrpt_record.h) for the record,
// JudgeMailtoLookups / JudgeHttpsReach / AddRuaReachability
// (rua_reachability.h) for the destinations.
//
// Destinations (at most kMaxRuaChecked per record) are checked through the
// check's RuaCache: one check per destination shared by every run in flight
// and reused for kRuaCacheTtl. A mailto: destination costs an MX lookup and
// the A/AAAA lookups of at most kMaxRuaMailHosts hosts; an https: one the
// host's A/AAAA lookups and one GET (never a POST: no fake report is sent)
// to its first address the address guard allows, reading at most
// kMaxRuaBodyBytes. All of it goes through the run's DNS session and ends
// by the run's deadline (less kRuaDeadlineMargin): destinations not
// checked by then are CHECK_INCONCLUSIVE.
//
// Lifetime: the check is engine-owned and shared by every reactor thread;
// each Run keeps its own state, which stops (leaving the cache, closing its
// fetches) when its results are in, at its deadline, or when the run ends
// first (CheckContext::OnCancel), whichever is first.
#ifndef MTASTS_CHECKS_TLS_RPT_TLS_RPT_CHECK_H_
#define MTASTS_CHECKS_TLS_RPT_TLS_RPT_CHECK_H_

#include "checks/check.h"
#include "checks/tls_rpt/rua_cache.h"
#include "checks/tls_rpt/tlsrpt_record.h"

namespace mtasts::checks {

// Destinations still unchecked this long before the run's deadline are
// reported as inconclusive, so the check reports before the engine gives up.
inline constexpr absl::Duration kRuaDeadlineMargin = absl::Milliseconds(250);

class TlsRptCheck : public Check {
 public:
  TlsRptCheck() : cache_(RuaCache::Options{}) {}
  explicit TlsRptCheck(RuaCache::Options options) : cache_(std::move(options)) {}
  std::string_view name() const override { return "tls_rpt"; }
  int default_weight() const override { return 10; }
  const FindingTable& findings() const override { return TlsRptFindings(); }
  void Run(CheckContext& ctx, DoneCallback done) override;

  // Not exported as cache_counters(): the engine adds every check's counters
  // into the one MX probe cache metric; RuaCache::stats() is for tests and
  // logs until the metric carries the check's name.
  const RuaCache& cache() const { return cache_; }

 private:
  RuaCache cache_;
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_TLS_RPT_TLS_RPT_CHECK_H_

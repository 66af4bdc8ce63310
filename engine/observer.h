// EngineObserver: what the engine tells its owner about its work, for
// metrics. The engine owns this interface; the server implements it
// (server/metrics.h), so the engine never includes server code.
//
// Calls come from any thread (the caller of Engine::Start, reactor threads),
// concurrently: implementations must be thread-safe, cheap and must not block
// or call back into the engine.
#ifndef MTASTS_ENGINE_OBSERVER_H_
#define MTASTS_ENGINE_OBSERVER_H_

#include "absl/status/statusor.h"
#include "mtasts/v1/report.pb.h"

namespace mtasts::engine {

// One DNS question as a run's resolver finished it (all its tries, CNAME hops
// and resends), for DNS metrics: net::DnsOptions::on_question_finished,
// forwarded by the engine. Questions of cancelled runs are not reported.
struct DnsQueryEvent {
  v1::DnsOutcome outcome = v1::DNS_OUTCOME_UNSPECIFIED;  // the final outcome
  int attempts = 1;          // queries sent for it: 1 + retries
  int attempt_timeouts = 0;  // attempts that got no answer in time
  bool used_tcp = false;     // retried over TCP after a truncated answer
};

class EngineObserver {
 public:
  virtual ~EngineObserver() = default;

  // A run was accepted by Engine::Start; exactly one OnRunFinished follows
  // (unless the engine is destroyed with the run still in flight).
  virtual void OnRunStarted() = 0;
  // The run's result as it is handed to the caller: the report, or the error
  // (CANCELLED after Cancel(), INTERNAL when the run could not start).
  virtual void OnRunFinished(const absl::StatusOr<v1::DomainReport>& result) = 0;
  // One finished DNS question.
  virtual void OnDnsQuery(const DnsQueryEvent& event) = 0;
};

}  // namespace mtasts::engine

#endif  // MTASTS_ENGINE_OBSERVER_H_

#include "server/metrics_interceptor.h"

#include <atomic>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mtasts::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

// One per call: created when the call starts, destroyed when it is done.
class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(ServerMetrics* metrics, std::string method)
      : metrics_(metrics), method_(std::move(method)), started_(absl::Now()) {
    metrics_->OnRpcStarted(method_);
  }
  ~MetricsInterceptor() override {
    if (!finished_) Finish(absl::StatusCode::kCancelled);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    // Counted before the status goes out, so a client that has its answer
    // finds the call in the next scrape (the interceptor itself is
    // destroyed some time after).
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        !finished_) {
      // Canonical codes share their numbers in gRPC and Abseil.
      Finish(static_cast<absl::StatusCode>(methods->GetSendStatus().error_code()));
    }
    methods->Proceed();
  }

 private:
  void Finish(absl::StatusCode code) {
    finished_ = true;
    metrics_->OnRpcFinished(method_, code, absl::Now() - started_);
  }

  ServerMetrics* const metrics_;
  const std::string method_;
  const absl::Time started_;
  // Set once, at PRE_SEND_STATUS; read again when the call is destroyed.
  std::atomic<bool> finished_{false};
};

class MetricsInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(ServerMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, info->method() != nullptr ? info->method() : "");
  }

 private:
  ServerMetrics* const metrics_;
};

}  // namespace

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
MetricsInterceptors(ServerMetrics* metrics) {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<MetricsInterceptorFactory>(metrics));
  return factories;
}

}  // namespace mtasts::server

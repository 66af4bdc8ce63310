// The fake MtaStsChecker that the cli tests run RunCli against (in-process,
// on 127.0.0.1:0), and RunCli with given arguments. Shared by cli_*_test.cc.
#ifndef MTASTS_CLIENTS_CLI_CLI_TEST_FIXTURE_H_
#define MTASTS_CLIENTS_CLI_CLI_TEST_FIXTURE_H_

#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "clients/cli/cli.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mtasts/v1/service.grpc.pb.h"

namespace mtasts::cli {

// The fake's script. Anything else gets a B.
//   good.example    95 A ENFORCED       weak.example  45 D TESTING
//   absent.example  10 F ABSENT         xn--bcher-kva.example: unicode form
//   *..*, -*        INVALID_ARGUMENT    slow.example  waits for cancellation
//   boom.example    (fleet) the stream fails with INTERNAL
//   stall.example   (fleet) the server stops reading until released
struct Scripted {
  int score;
  mtasts::v1::Grade grade;
  mtasts::v1::MtaStsState state;
};

Scripted ScriptFor(const std::string& domain);

constexpr char kInvalidMessage[] = "not a host name: empty label";

bool IsInvalid(const std::string& domain);

// A report with every kind of field, so the JSON round trip covers int64
// (as strings), doubles, enums, timestamps, durations and nested messages.
v1::DomainReport MakeReport(const std::string& domain);

class FakeChecker final : public mtasts::v1::MtaStsChecker::Service {
 public:
  grpc::Status CheckDomain(grpc::ServerContext* context,
                           const v1::CheckDomainRequest* request,
                           v1::DomainReport* response) override;

  grpc::Status StreamFleet(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::FleetEvent, v1::FleetRequest>* stream) override;

  std::vector<v1::CheckDomainRequest> check_requests();
  std::vector<v1::FleetRequest> fleet_requests();

  // stall.example: set when the handler has stopped reading; release_ makes
  // it end the call.
  absl::Notification stalled_;
  absl::Notification release_;

 private:
  absl::Mutex mu_;
  std::vector<v1::CheckDomainRequest> check_requests_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::FleetRequest> fleet_requests_ ABSL_GUARDED_BY(mu_);
};

struct CliResult {
  int exit_code;
  std::string out;
  std::string err;
};

// Runs RunCli with argv = {"mtasts", args...}.
CliResult RunArgs(const std::vector<std::string>& args, std::istream& in,
                  Terminal terminal);

CliResult RunArgs(const std::vector<std::string>& args,
                  const std::string& stdin_text = "", bool is_tty = false);

std::vector<std::string> Lines(const std::string& text);

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Runs with --server pointing at the fake.
  CliResult Run(std::vector<std::string> args,
                const std::string& stdin_text = "", bool is_tty = false);

  std::string WriteList(const std::string& contents);

  FakeChecker fake_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace mtasts::cli

#endif  // MTASTS_CLIENTS_CLI_CLI_TEST_FIXTURE_H_

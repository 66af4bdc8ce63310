#include "clients/cpp/client.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace mtasts::client {
namespace {

absl::Status ReadPem(const std::string& what, const std::string& path, std::string* out) {
  if (path.empty()) return absl::OkStatus();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": cannot open ", path, ": ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  *out = text.str();
  return absl::OkStatus();
}

std::string Seconds(absl::Duration d) {
  return absl::StrFormat("%.3fs", absl::ToDoubleSeconds(d));
}

void SetDeadline(grpc::ClientContext* context, absl::Duration timeout) {
  if (timeout != absl::InfiniteDuration()) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  }
}

}  // namespace

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

absl::StatusOr<TlsOptions> TlsOptions::FromFiles(const std::string& ca_file,
                                                 const std::string& cert_file,
                                                 const std::string& key_file) {
  TlsOptions tls;
  if (absl::Status s = ReadPem("CA file", ca_file, &tls.root_certs_pem); !s.ok()) return s;
  if (absl::Status s = ReadPem("certificate file", cert_file, &tls.cert_chain_pem); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadPem("key file", key_file, &tls.private_key_pem); !s.ok()) return s;
  return tls;
}

std::string ServiceConfigJson(const RetryOptions& retry) {
  std::string config = R"({"loadBalancingConfig":[{"round_robin":{}}])";
  if (retry.max_attempts > 1) {
    absl::StrAppend(
        &config, R"(,"methodConfig":[{"name":[{"service":"mtasts.v1.MtaStsChecker",)",
        R"("method":"CheckDomain"}],"retryPolicy":{"maxAttempts":)", retry.max_attempts,
        R"(,"initialBackoff":")", Seconds(retry.initial_backoff), R"(","maxBackoff":")",
        Seconds(retry.max_backoff), R"(","backoffMultiplier":)", retry.backoff_multiplier,
        R"(,"retryableStatusCodes":["RESOURCE_EXHAUSTED","UNAVAILABLE"]}}])");
  }
  absl::StrAppend(&config, "}");
  return config;
}

Client::Client(std::shared_ptr<grpc::Channel> channel, std::string target,
               std::shared_ptr<grpc::ChannelCredentials> credentials, grpc::ChannelArguments args,
               bool tls)
    : channel_(std::move(channel)),
      target_(std::move(target)),
      credentials_(std::move(credentials)),
      args_(std::move(args)),
      tls_(tls),
      stub_(v1::MtaStsChecker::NewStub(channel_)) {}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(const ClientOptions& options) {
  if (options.target.empty()) return absl::InvalidArgumentError("empty target");
  const RetryOptions& r = options.retry;
  if (r.max_attempts < 1 || r.max_attempts > 5) {
    return absl::InvalidArgumentError("retry max_attempts must be 1-5");
  }
  if (r.max_attempts > 1 && (r.initial_backoff <= absl::ZeroDuration() ||
                             r.max_backoff <= absl::ZeroDuration() ||
                             r.backoff_multiplier <= 0)) {
    return absl::InvalidArgumentError("retry backoff must be positive");
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (options.tls.has_value()) {
    const TlsOptions& tls = *options.tls;
    if (tls.cert_chain_pem.empty() != tls.private_key_pem.empty()) {
      return absl::InvalidArgumentError(
          "a client certificate needs its private key, and a key its certificate");
    }
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = tls.root_certs_pem;
    ssl.pem_cert_chain = tls.cert_chain_pem;
    ssl.pem_private_key = tls.private_key_pem;
    credentials = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(ServiceConfigJson(options.retry));
  // A DNS TXT record must not replace the policy above.
  args.SetInt(GRPC_ARG_SERVICE_CONFIG_DISABLE_RESOLUTION, 1);
  auto channel = grpc::CreateCustomChannel(options.target, credentials, args);
  return std::unique_ptr<Client>(
      new Client(std::move(channel), options.target, credentials, args, options.tls.has_value()));
}

absl::StatusOr<v1::DomainReport> Client::Check(const std::string& domain,
                                               const std::vector<std::string>& checks,
                                               absl::Duration timeout) {
  v1::CheckDomainRequest request;
  request.set_domain(domain);
  for (const std::string& check : checks) request.mutable_options()->add_checks(check);
  return Check(request, timeout);
}

absl::StatusOr<v1::DomainReport> Client::Check(const v1::CheckDomainRequest& request,
                                               absl::Duration timeout) {
  grpc::ClientContext context;
  SetDeadline(&context, timeout);
  v1::DomainReport report;
  grpc::Status status = stub_->CheckDomain(&context, request, &report);
  if (!status.ok()) return FromGrpc(status);
  return report;
}

std::unique_ptr<FleetCall> Client::StartFleet(absl::Duration timeout) {
  std::unique_ptr<FleetCall> call(new FleetCall());
  SetDeadline(&call->context_, timeout);
  call->stream_ = stub_->StreamFleet(&call->context_);
  return call;
}

FleetCall::~FleetCall() {
  if (!finished_) {
    context_.TryCancel();
    v1::FleetEvent ignored;
    while (stream_->Read(&ignored)) {
    }
    (void)stream_->Finish();
  }
}

bool FleetCall::Send(const v1::FleetRequest& entry) { return stream_->Write(entry); }

bool FleetCall::Close() { return stream_->WritesDone(); }

std::optional<v1::FleetEvent> FleetCall::Next() {
  v1::FleetEvent event;
  if (!stream_->Read(&event)) return std::nullopt;
  return event;
}

void FleetCall::Cancel() { context_.TryCancel(); }

absl::Status FleetCall::Finish() {
  finished_ = true;
  return FromGrpc(stream_->Finish());
}

}  // namespace mtasts::client

#include "server/server.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "grpcpp/server_builder.h"
#include "net/host_port.h"
#include "server/metrics_interceptor.h"
#include "server/tls_files.h"

namespace mtasts::server {
namespace {

absl::Duration FromProto(const google::protobuf::Duration& d, absl::Duration fallback) {
  const int64_t nanos = google::protobuf::util::TimeUtil::DurationToNanoseconds(d);
  return nanos > 0 ? absl::Nanoseconds(nanos) : fallback;
}

int OrDefault(int value, int fallback) { return value > 0 ? value : fallback; }

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(
    const ServerSettings& s) {
  if (s.tls_cert_file.empty() && s.tls_key_file.empty() && s.tls_client_ca_file.empty()) {
    return grpc::InsecureServerCredentials();
  }
  auto pem = LoadServerTlsFiles({s.tls_cert_file, s.tls_key_file, s.tls_client_ca_file});
  if (!pem.ok()) return pem.status();
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({pem->private_key, pem->cert_chain});
  if (!pem->client_ca.empty()) {
    options.pem_root_certs = pem->client_ca;
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

absl::Status CheckListenAddress(const std::string& listen) {
  net::HostPortRules rules;
  rules.port_required = true;
  rules.port_zero_ok = true;  // the kernel picks; port() tells which
  rules.localhost_ok = true;  // gRPC binds each address localhost resolves to
  auto parsed = net::ParseHostPort(listen, rules);
  if (parsed.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("--listen \"", listen, "\": ", parsed.status().message()));
}

// Server reflection on or off for one builder. Linking libgrpc++_reflection
// registers its plugin for every server of the process (a static
// initializer), so "off" has to take it out again.
class Reflection : public grpc::ServerBuilderOption {
 public:
  explicit Reflection(bool on) : on_(on) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    const std::string name = grpc::reflection::ProtoServerReflectionPlugin().name();
    plugins->erase(std::remove_if(plugins->begin(), plugins->end(),
                                  [&](const auto& p) { return p->name() == name; }),
                   plugins->end());
    if (on_) plugins->push_back(std::make_unique<grpc::reflection::ProtoServerReflectionPlugin>());
  }

 private:
  const bool on_;
};

}  // namespace

EffectiveLimits ResolveLimits(const v1::Limits& l) {
  EffectiveLimits e;
  e.dns_timeout = FromProto(l.dns_timeout(), e.dns_timeout);
  e.dns_tries = OrDefault(l.dns_tries(), e.dns_tries);
  e.max_cname_depth = OrDefault(l.max_cname_depth(), e.max_cname_depth);
  e.dns_max_outstanding = OrDefault(l.dns_max_outstanding(), e.dns_max_outstanding);
  e.check_timeout = FromProto(l.check_timeout(), e.check_timeout);
  e.max_inflight = OrDefault(l.max_inflight(), e.max_inflight);
  e.fleet_max_inflight = OrDefault(l.fleet_max_inflight(), e.fleet_max_inflight);
  e.max_txt_record_bytes = OrDefault(l.max_txt_record_bytes(), e.max_txt_record_bytes);
  e.max_txt_records = OrDefault(l.max_txt_records(), e.max_txt_records);
  e.max_mx_hosts = OrDefault(l.max_mx_hosts(), e.max_mx_hosts);
  e.shutdown_grace = FromProto(l.shutdown_grace(), e.shutdown_grace);
  net::HttpsLimits& h = e.policy_fetch;
  // A phase left unset may use the whole fetch timeout, as a sender's one
  // overall timeout allows.
  h.total_timeout = FromProto(l.policy_fetch_timeout(), h.total_timeout);
  h.connect_timeout = FromProto(l.policy_connect_timeout(), h.total_timeout);
  h.handshake_timeout = FromProto(l.policy_tls_timeout(), h.total_timeout);
  h.first_byte_timeout = FromProto(l.policy_first_byte_timeout(), h.total_timeout);
  h.response_timeout = FromProto(l.policy_response_timeout(), h.total_timeout);
  e.policy_fetch_slow_after = FromProto(l.policy_fetch_slow_after(), e.policy_fetch_slow_after);
  e.smtp_greeting_slow_after =
      FromProto(l.smtp_greeting_slow_after(), e.smtp_greeting_slow_after);
  h.http.max_header_bytes = static_cast<size_t>(
      OrDefault(l.max_policy_header_bytes(), static_cast<int>(h.http.max_header_bytes)));
  h.http.max_body_bytes = static_cast<size_t>(
      OrDefault(l.max_policy_body_bytes(), static_cast<int>(h.http.max_body_bytes)));
  e.max_policy_addresses = OrDefault(l.max_policy_addresses(), e.max_policy_addresses);
  net::SmtpLimits& m = e.mx_probe;
  m.connect_timeout = FromProto(l.smtp_connect_timeout(), m.connect_timeout);
  m.greeting_timeout = FromProto(l.smtp_greeting_timeout(), m.greeting_timeout);
  m.ehlo_timeout = FromProto(l.smtp_command_timeout(), m.ehlo_timeout);
  m.starttls_timeout = FromProto(l.smtp_command_timeout(), m.starttls_timeout);
  m.handshake_timeout = FromProto(l.smtp_tls_timeout(), m.handshake_timeout);
  return e;
}

namespace {

engine::EngineOptions EngineOptionsFor(const ServerSettings& settings,
                                       const EffectiveLimits& limits) {
  engine::EngineOptions engine_options;
  engine_options.reactor_threads = settings.reactor_threads;
  engine_options.dns.servers = settings.dns_servers;
  engine_options.dns.attempt_timeout = limits.dns_timeout;
  engine_options.dns.tries = limits.dns_tries;
  engine_options.dns.max_cname_depth = limits.max_cname_depth;
  engine_options.dns_max_outstanding = limits.dns_max_outstanding;
  engine_options.dns.max_records = limits.max_txt_records;
  engine_options.dns.max_txt_record_bytes = limits.max_txt_record_bytes;
  engine_options.weights = settings.config.weights();
  if (settings.make_checks) engine_options.checks = settings.make_checks();
  engine_options.max_mx_hosts = limits.max_mx_hosts;
  engine_options.allow_targets = settings.allow_targets;
  engine_options.ca_file = settings.ca_file;
  engine_options.ca_intermediates_file = settings.ca_intermediates_file;
  engine_options.probe = settings.probe;
  engine_options.probe.https = limits.policy_fetch;
  engine_options.probe.max_policy_addresses = limits.max_policy_addresses;
  engine_options.probe.smtp = limits.mx_probe;
  engine_options.probe.policy_fetch_slow_after = limits.policy_fetch_slow_after;
  engine_options.probe.smtp_greeting_slow_after = limits.smtp_greeting_slow_after;
  return engine_options;
}

}  // namespace

absl::Status MtaStsServer::Check(const ServerSettings& settings) {
  if (absl::Status s = CheckListenAddress(settings.listen); !s.ok()) return s;
  if (!settings.metrics_listen.empty()) {
    if (auto m = MetricsEndpoint::CheckListen(settings.metrics_listen); !m.ok()) {
      return m.status();
    }
  }
  auto credentials = Credentials(settings);
  if (!credentials.ok()) return credentials.status();
  // The engine validates the rest (weights, CIDRs, trust stores, trust
  // anchor); it is built and dropped, nothing listens.
  auto engine =
      engine::Engine::Create(EngineOptionsFor(settings, ResolveLimits(settings.config.limits())));
  return engine.ok() ? absl::OkStatus() : engine.status();
}

absl::StatusOr<std::unique_ptr<MtaStsServer>> MtaStsServer::Start(ServerSettings settings) {
  // gRPC would take "host:500511" as port 41759 and a missing port as 443.
  if (absl::Status s = CheckListenAddress(settings.listen); !s.ok()) return s;
  const EffectiveLimits limits = ResolveLimits(settings.config.limits());
  auto credentials = Credentials(settings);
  if (!credentials.ok()) return credentials.status();

  engine::EngineOptions engine_options = EngineOptionsFor(settings, limits);
  std::unique_ptr<net::DnsForwarder> forwarder;
  if (settings.dns_transport != net::DnsTransportKind::kUdp) {
    // c-ares and libunbound speak plain DNS to a local forwarder that holds
    // the one encrypted connection (docs/design.md, "Encrypted resolver
    // transports"); its certificate is checked against --ca_file.
    net::DnsForwarderOptions fo;
    fo.kind = settings.dns_transport;
    fo.endpoints = settings.dns_stream_endpoints;
    fo.ca_file = settings.ca_file;
    fo.max_queries = std::max(limits.dns_max_outstanding * 2, 1024);
    auto started = net::DnsForwarder::Start(fo);
    if (!started.ok()) {
      return absl::Status(started.status().code(),
                          absl::StrCat(started.status().code() == absl::StatusCode::kInvalidArgument
                                           ? "--ca_file (for the --dns_transport resolver): "
                                           : "--dns_transport: ",
                                       started.status().message()));
    }
    forwarder = *std::move(started);
    engine_options.dns.servers = {forwarder->local()};
    // The dnssec check's queries travel the same way unless the operator
    // named a forwarder of its own; it still validates from the trust anchor.
    if (engine_options.probe.dnssec_forwarder.empty()) {
      engine_options.probe.dnssec_forwarder =
          absl::StrCat("127.0.0.1:", forwarder->local().port);
    }
    engine_options.resolver.set_transport(net::DnsTransportName(settings.dns_transport));
    for (const auto& e : settings.dns_stream_endpoints) {
      engine_options.resolver.add_servers(e.display);
    }
    net::DnsForwarder* f = forwarder.get();
    engine_options.resolver_error = [f] { return f->last_error(); };
    // c-ares sees only the forwarder: it asks the forwarder who answered.
    engine_options.dns.answer_origin = [f](uint16_t port, const unsigned char* answer,
                                           size_t len) {
      return f->AnsweredBy(port, absl::string_view(reinterpret_cast<const char*>(answer), len));
    };
  }
  std::unique_ptr<MtaStsServer> server(new MtaStsServer());
  server->dns_forwarder_ = std::move(forwarder);
  if (!settings.metrics_listen.empty()) {
    server->metrics_ = std::make_unique<ServerMetrics>();
    auto endpoint = MetricsEndpoint::Start(settings.metrics_listen, server->metrics_.get());
    if (!endpoint.ok()) return endpoint.status();
    server->metrics_endpoint_ = *std::move(endpoint);
    engine_options.observer = server->metrics_.get();
  }
  auto engine = engine::Engine::Create(std::move(engine_options));
  if (!engine.ok()) return engine.status();

  if (settings.log != nullptr) server->log_ = std::make_unique<CallLog>(settings.log);
  server->engine_ = *std::move(engine);
  ServiceOptions service_options;
  service_options.max_inflight = limits.max_inflight;
  service_options.fleet_max_inflight = limits.fleet_max_inflight;
  service_options.check_timeout = limits.check_timeout;
  service_options.log = server->log_.get();
  if (ServerMetrics* metrics = server->metrics_.get()) {
    service_options.on_fleet_entry_started = [metrics](int in_flight) {
      metrics->OnFleetEntryStarted(in_flight);
    };
  }
  server->service_ = std::make_unique<MtaStsService>(server->engine_.get(), service_options);

  grpc::EnableDefaultHealthCheckService(true);
  // gRPC's health service does not register grpc/health/v1/health.proto in
  // the generated pool, so reflection could list Health but not describe it
  // (grpcurl: "target server does not expose service"). Touching the
  // generated descriptor links it in and registers it.
  (void)grpc::health::v1::HealthCheckResponse::descriptor();
  grpc::ServerBuilder builder;
  builder.SetOption(std::make_unique<Reflection>(settings.reflection));
  builder.AddListeningPort(settings.listen, *credentials, &server->port_);
  builder.RegisterService(server->service_.get());
  // Backpressure on fleet streams is "stop reading": what a client can push
  // past that is the HTTP/2 receive window. BDP probing grows it (measured:
  // ~117,000 entries, ~4 MB, taken in per stream the server had stopped
  // reading); without it the window stays at gRPC's 64 KiB, about 2,000
  // entries, still far ahead of the checks. Requests are small, so nothing
  // else needs a larger window; replies are sized by the client's window.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  if (server->metrics_ != nullptr) {
    builder.experimental().SetInterceptorCreators(MetricsInterceptors(server->metrics_.get()));
    ServerMetrics::Sources sources;
    MtaStsService* service = server->service_.get();
    engine::Engine* engine_ptr = server->engine_.get();
    sources.fleet_streams_waiting = [service] { return service->Waiting(); };
    sources.fleet_stream_largest_in_flight = [service] {
      return service->LargestStreamInFlight();
    };
    sources.probe_cache = [engine_ptr] { return engine_ptr->probe_cache_counters(); };
    sources.max_inflight = limits.max_inflight;
    server->metrics_->SetSources(std::move(sources));
  }
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", settings.listen,
                                               " (address in use or invalid)"));
  }
  // "" (the whole server) is SERVING by default; name our service as well.
  if (auto* health = server->server_->GetHealthCheckService()) {
    health->SetServingStatus(v1::MtaStsChecker::service_full_name(), true);
  }
  return server;
}

void MtaStsServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  const absl::Time deadline = absl::Now() + grace;
  // Fleet streams drain first: they stop reading, answer what they admitted
  // and end with UNAVAILABLE, so their clients resend the rest elsewhere
  // (docs/design.md §3.7). Then health turns NOT_SERVING (overall and per
  // service), so balancers and clients that watch it stop sending. In this
  // order a client that has seen NOT_SERVING knows that nothing it sends on an
  // open stream is read any more (the other order left a window in which such
  // an entry was still checked). CheckDomain is still served until every
  // stream is gone or the grace is spent; then gRPC stops accepting calls and
  // cancels those still running at the deadline.
  service_->BeginDrain();
  if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(false);
  service_->AwaitStreamsClosed(deadline);
  server_->Shutdown(absl::ToChronoTime(deadline));
  server_->Wait();
}

MtaStsServer::~MtaStsServer() {
  // Scrapes read the service and the engine: stop them first.
  metrics_endpoint_.reset();
  if (server_ != nullptr) Shutdown(absl::ZeroDuration());
  // Every call is done; fleet runs cancelled at the end of their stream may
  // still be calling back. Wait (bounded) until none is admitted any more,
  // then stop the reactors before the service goes.
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (service_ != nullptr && service_->InFlight() > 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  server_.reset();
  engine_.reset();
  service_.reset();
}

}  // namespace mtasts::server

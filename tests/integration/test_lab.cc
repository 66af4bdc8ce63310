#include "tests/integration/test_lab.h"

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/client_context.h"
#include "grpcpp/impl/codegen/client_unary_call.h"
#include "grpcpp/impl/codegen/rpc_method.h"
#include "grpcpp/support/slice.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace mtasts::testing {

using fakes::DnsRecord;
using fakes::DnsReply;
using google::protobuf::util::TimeUtil;

const v1::CheckResult& ResultOf(const v1::DomainReport& report, const std::string& name) {
  for (const auto& c : report.checks()) {
    if (c.check() == name) return c;
  }
  static const v1::CheckResult kMissing;
  ADD_FAILURE() << "no result for check " << name;
  return kMissing;
}

const v1::Finding* FindingOf(const v1::CheckResult& result, v1::FindingCode code) {
  for (const auto& f : result.findings()) {
    if (f.code() == code) return &f;
  }
  return nullptr;
}

std::vector<v1::FindingCode> CodeList(const v1::CheckResult& result) {
  std::vector<v1::FindingCode> codes;
  for (const auto& f : result.findings()) codes.push_back(f.code());
  return codes;
}

std::set<v1::FindingCode> CodeSet(const v1::CheckResult& result) {
  std::set<v1::FindingCode> codes;
  for (const auto& f : result.findings()) codes.insert(f.code());
  return codes;
}

std::set<v1::FindingCode> DomainCodeSet(const v1::DomainReport& report) {
  std::set<v1::FindingCode> codes;
  for (const auto& f : report.domain_findings()) codes.insert(f.code());
  return codes;
}

bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout,
               const std::string& what) {
  const absl::Time give_up = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > give_up) {
      ADD_FAILURE() << "timed out after " << timeout << " waiting for " << what;
      return false;
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

void LabDns::Set(const std::string& name, DnsType type, std::vector<DnsRecord> records) {
  {
    absl::MutexLock lock(&mu_);
    records_[{absl::AsciiStrToLower(name), static_cast<uint16_t>(type)}] = records;
  }
  server_->SetReply(name, type, DnsReply::Records(std::move(records)));
}

void LabDns::Mx(const std::string& name, std::vector<std::pair<int, std::string>> hosts) {
  std::vector<DnsRecord> records;
  for (const auto& [pref, host] : hosts) records.push_back(DnsRecord::Mx(pref, host));
  Set(name, DnsType::kMx, std::move(records));
}

void LabDns::A(const std::string& name, std::vector<std::string> addresses) {
  std::vector<DnsRecord> records;
  for (const auto& a : addresses) records.push_back(DnsRecord::A(a));
  Set(name, DnsType::kA, std::move(records));
}

void LabDns::Aaaa(const std::string& name, std::vector<std::string> addresses) {
  std::vector<DnsRecord> records;
  for (const auto& a : addresses) records.push_back(DnsRecord::Aaaa(a));
  Set(name, DnsType::kAaaa, std::move(records));
}

void LabDns::Txt(const std::string& name, std::vector<std::vector<std::string>> txt) {
  std::vector<DnsRecord> records;
  for (auto& strings : txt) records.push_back(DnsRecord::Txt(std::move(strings)));
  Set(name, DnsType::kTxt, std::move(records));
}

void LabDns::Cname(const std::string& name, const std::string& target) {
  server_->SetReply(name, DnsType::kCname, DnsReply::Records({DnsRecord::Cname(target)}));
}

void LabDns::Rcode(const std::string& name, DnsRcode rcode, DnsType type) {
  server_->SetReply(name, type, DnsReply::WithRcode(rcode));
}

void LabDns::NoData(const std::string& name, DnsType type) {
  server_->SetReply(name, type, DnsReply::NoData());
}

void LabDns::Drop(const std::string& name, DnsType type) {
  server_->SetReply(name, type, DnsReply::Drop());
}

void LabDns::Delay(const std::string& name, absl::Duration delay, DnsType type) {
  absl::MutexLock lock(&mu_);
  auto records = records_[{absl::AsciiStrToLower(name), static_cast<uint16_t>(type)}];
  server_->SetReply(name, type, DnsReply::Records(std::move(records)).Delayed(delay));
}

void LabDns::Truncate(const std::string& name, DnsType type) {
  absl::MutexLock lock(&mu_);
  auto records = records_[{absl::AsciiStrToLower(name), static_cast<uint16_t>(type)}];
  server_->SetReply(name, type, DnsReply::Records(std::move(records)).TruncatedOverUdp());
}

void LabDns::WaitForQueries(const std::string& name, int64_t n, absl::Duration timeout) const {
  WaitUntil([&] { return server_->queries_for(name) >= n; }, timeout,
            absl::StrCat(n, " queries for ", name));
}

std::unique_ptr<TestLab> TestLab::Start(const LabOptions& options) {
  auto lab = std::make_unique<TestLab>();
  lab->options_ = options;
  auto dns = fakes::FakeDnsServer::Start();
  if (!dns.ok()) {
    ADD_FAILURE() << dns.status();
    return nullptr;
  }
  auto ca = fakes::TestCa::CreateRoot("mtasts lab root CA");
  if (!ca.ok()) {
    ADD_FAILURE() << ca.status();
    return nullptr;
  }
  lab->ca_ = *std::move(ca);
  auto default_cert = lab->ca_->Issue(fakes::CertSpec::ForHosts({"default.lab.invalid"}));
  auto ca_file = lab->ca_->WriteCertFile();
  if (!default_cert.ok() || !ca_file.ok()) {
    ADD_FAILURE() << "lab certificates: " << default_cert.status() << ca_file.status();
    return nullptr;
  }
  fakes::FakeHttpsServerOptions https_options;
  https_options.bind_address = options.https_bind_address;
  https_options.max_version = options.https_max_version;
  https_options.certificates.push_back({"", *default_cert});
  auto https = fakes::FakeHttpsServer::Start(https_options);
  if (!https.ok()) {
    ADD_FAILURE() << https.status();
    return nullptr;
  }
  lab->https_ = *std::move(https);
  lab->https_address_ = options.https_bind_address;
  TestLab* raw = lab.get();
  lab->https_->SetHandler([raw](const fakes::FakeHttpRequest& request) {
    std::string host = absl::AsciiStrToLower(request.Header("host").value_or(""));
    if (const size_t colon = host.rfind(':');
        colon != std::string::npos && host.find(']') == std::string::npos) {
      host.resize(colon);
    }
    absl::MutexLock lock(&raw->policy_mu_);
    auto it = raw->policies_.find(host);
    if (it == raw->policies_.end() || request.target != "/.well-known/mta-sts.txt") {
      return fakes::FakeHttpResponse::Status(404, "Not Found");
    }
    return it->second;
  });

  server::ServerSettings settings;
  settings.listen = "127.0.0.1:0";
  settings.allow_targets = options.allow_targets;
  settings.ca_file = *ca_file;
  if (options.known_intermediate) {
    auto intermediate = lab->ca_->CreateIntermediate("mtasts lab intermediate CA");
    auto file = intermediate.ok() ? (*intermediate)->WriteCertFile()
                                  : absl::StatusOr<std::string>(intermediate.status());
    if (!file.ok()) {
      ADD_FAILURE() << file.status();
      return nullptr;
    }
    lab->intermediate_ = *std::move(intermediate);
    settings.ca_intermediates_file = *file;
  }
  settings.probe.https_port = static_cast<uint16_t>(lab->https_->port());
  settings.probe.trust_anchor_file = options.trust_anchor_file;
  settings.probe.dnssec_forwarder = options.dnssec_forwarder;
  if (options.smtp_port > 0) settings.probe.smtp_port = static_cast<uint16_t>(options.smtp_port);
  settings.probe.mx_probe_cache_ttl = options.mx_probe_cache_ttl;
  settings.dns_servers = {{"127.0.0.1", options.dns_server_port > 0
                                             ? static_cast<uint16_t>(options.dns_server_port)
                                             : (*dns)->port()}};
  settings.log = options.call_log;
  settings.metrics_listen = options.metrics_listen;
  settings.make_checks = options.make_checks;
  for (const auto& [check, points] : options.weights) (*settings.config.mutable_weights())[check] = points;
  v1::Limits* limits = settings.config.mutable_limits();
  if (options.max_inflight > 0) limits->set_max_inflight(options.max_inflight);
  if (options.fleet_max_inflight > 0) limits->set_fleet_max_inflight(options.fleet_max_inflight);
  *limits->mutable_check_timeout() =
      TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(options.check_timeout));
  *limits->mutable_dns_timeout() =
      TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(options.dns_timeout));
  limits->set_dns_tries(options.dns_tries);
  if (options.dns_max_outstanding > 0) limits->set_dns_max_outstanding(options.dns_max_outstanding);
  auto set = [](google::protobuf::Duration* field, absl::Duration d) {
    if (d > absl::ZeroDuration()) {
      *field = TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(d));
    }
  };
  for (auto* d : {limits->mutable_policy_connect_timeout(), limits->mutable_policy_tls_timeout(),
                  limits->mutable_policy_first_byte_timeout()}) {
    set(d, options.policy_phase_timeout);
  }
  set(limits->mutable_policy_fetch_timeout(), options.policy_fetch_timeout);
  set(limits->mutable_policy_fetch_slow_after(), options.policy_fetch_slow_after);
  set(limits->mutable_smtp_greeting_slow_after(), options.smtp_greeting_slow_after);
  // Through the config, as an operator sets them.
  for (auto* d : {limits->mutable_smtp_connect_timeout(), limits->mutable_smtp_greeting_timeout(),
                  limits->mutable_smtp_command_timeout(), limits->mutable_smtp_tls_timeout()}) {
    *d = TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(options.smtp_phase_timeout));
  }
  set(limits->mutable_policy_response_timeout(), options.policy_response_timeout);
  lab->dns_ = std::make_unique<LabDns>(*std::move(dns));
  auto server = server::MtaStsServer::Start(std::move(settings));
  if (!server.ok()) {
    ADD_FAILURE() << server.status();
    return nullptr;
  }
  lab->server_ = *std::move(server);
  lab->channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", lab->server_->port()),
                                      grpc::InsecureChannelCredentials());
  lab->stub_ = v1::MtaStsChecker::NewStub(lab->channel_);
  return lab;
}

void TestLab::ServePolicy(const std::string& domain, fakes::FakeHttpResponse response,
                          std::optional<fakes::TestCert> cert) {
  const std::string host = absl::AsciiStrToLower("mta-sts." + domain);
  if (!cert.has_value()) {
    auto issued = ca_->Issue(fakes::CertSpec::ForHosts({host}));
    ASSERT_TRUE(issued.ok()) << issued.status();
    cert = *std::move(issued);
  }
  ASSERT_TRUE(https_->AddCertificate(host, *cert).ok());
  absl::MutexLock lock(&policy_mu_);
  policies_.insert_or_assign(host, std::move(response));
}

void TestLab::PublishPolicy(const std::string& domain, const std::string& body) {
  fakes::FakeHttpResponse response = fakes::FakeHttpResponse::Text(body);
  response.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
  ServePolicy(domain, std::move(response));
  if (https_address_.find(':') != std::string::npos) {
    dns().Aaaa("mta-sts." + domain, {https_address_});
  } else {
    dns().A("mta-sts." + domain, {https_address_});
  }
}

TestLab::~TestLab() {
  stub_.reset();
  channel_.reset();
  server_.reset();
  https_.reset();
  dns_.reset();
}

absl::StatusOr<v1::DomainReport> TestLab::Check(const std::string& domain,
                                                const v1::CheckOptions& options,
                                                absl::Duration deadline) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  v1::CheckDomainRequest request;
  request.set_domain(domain);
  *request.mutable_options() = options;
  v1::DomainReport report;
  grpc::Status status = stub_->CheckDomain(&context, request, &report);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message());
  }
  return report;
}

grpc::Status TestLab::RawCheckDomain(const std::string& request, std::string* response,
                                     absl::Duration deadline) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  const grpc::internal::RpcMethod method("/mtasts.v1.MtaStsChecker/CheckDomain",
                                         grpc::internal::RpcMethod::NORMAL_RPC);
  grpc::ByteBuffer reply;
  grpc::Status status = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      channel_.get(), method, &context, ToByteBuffer(request), &reply);
  *response = FromByteBuffer(reply);
  return status;
}

std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>>
TestLab::RawStreamFleet(grpc::ClientContext* context) {
  const grpc::internal::RpcMethod method("/mtasts.v1.MtaStsChecker/StreamFleet",
                                         grpc::internal::RpcMethod::BIDI_STREAMING);
  return std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>>(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
          channel_.get(), method, context));
}

std::string WireField(int number, const std::string& value) {
  std::string out;
  const auto varint = [&out](uint64_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
  };
  varint(static_cast<uint64_t>(number) << 3 | 2);
  varint(value.size());
  return out + value;
}

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromByteBuffer(const grpc::ByteBuffer& buffer) {
  std::string out;
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

void TestLab::WaitOutDnsRetries() {
  const std::string domain = absl::StrCat("retry-clock-", ++retry_clocks_, ".lab.example");
  const std::string name = "_mta-sts." + domain;
  dns().Drop(name);
  v1::CheckOptions options;
  options.add_checks("txt");
  auto report = Check(domain, options);
  ASSERT_TRUE(report.ok()) << report.status();
  // The lookup failed by running out of tries, not by some shortcut.
  EXPECT_EQ(dns().QueriesFor(name), options_.dns_tries);
}

std::string TestLab::HealthStatus(const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return absl::StrCat("error ", status.error_code());
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
}

absl::StatusOr<TlsServer> StartTlsServer(bool require_client_cert) {
  constexpr char kPki[] = "clients/cli/testdata/";
  TlsServer out;
  auto dns = fakes::FakeDnsServer::Start();
  if (!dns.ok()) return dns.status();
  out.dns = *std::move(dns);
  server::ServerSettings settings;
  settings.listen = "127.0.0.1:0";
  settings.dns_servers = {{"127.0.0.1", out.dns->port()}};
  settings.log = nullptr;
  settings.tls_cert_file = absl::StrCat(kPki, "server.pem");
  settings.tls_key_file = absl::StrCat(kPki, "server.key.pem");
  if (require_client_cert) settings.tls_client_ca_file = absl::StrCat(kPki, "ca.pem");
  auto server = server::MtaStsServer::Start(settings);
  if (!server.ok()) return server.status();
  out.server = *std::move(server);
  return out;
}

}  // namespace mtasts::testing

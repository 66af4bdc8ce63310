// The gRPC port over TLS and mutual TLS (--tls_cert, --tls_key,
// --tls_client_ca), with the real server and a real channel.
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "mtasts/v1/service.grpc.pb.h"
#include "server/server.h"
#include "tests/fakes/fake_dns_server.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {
namespace {

constexpr char kPki[] = "clients/cli/testdata/";

std::string Read(const std::string& name) {
  std::ifstream in(absl::StrCat(kPki, name));
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return text.str();
}

class TlsTest : public ::testing::Test {
 protected:
  void StartServer(bool require_client_cert) {
    auto started = StartTlsServer(require_client_cert);
    ASSERT_TRUE(started.ok()) << started.status();
    dns_ = std::move(started->dns);
    server_ = std::move(started->server);
  }

  grpc::Status Call(std::shared_ptr<grpc::ChannelCredentials> credentials) {
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), credentials);
    auto stub = v1::MtaStsChecker::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::CheckDomainRequest request;
    request.set_domain("tls.example");
    request.mutable_options()->add_checks("txt");
    v1::DomainReport report;
    grpc::Status status = stub->CheckDomain(&context, request, &report);
    if (status.ok()) {
      EXPECT_EQ(report.domain(), "tls.example");
    }
    return status;
  }

  std::shared_ptr<grpc::ChannelCredentials> Tls(bool with_client_cert) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = Read("ca.pem");
    if (with_client_cert) {
      options.pem_cert_chain = Read("client.pem");
      options.pem_private_key = Read("client.key.pem");
    }
    return grpc::SslCredentials(options);
  }

  std::unique_ptr<fakes::FakeDnsServer> dns_;
  std::unique_ptr<server::MtaStsServer> server_;
};

TEST_F(TlsTest, ServerTlsAcceptsTlsClientsAndRefusesPlaintext) {
  StartServer(/*require_client_cert=*/false);
  EXPECT_TRUE(Call(Tls(/*with_client_cert=*/false)).ok());
  EXPECT_EQ(Call(grpc::InsecureChannelCredentials()).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, MutualTlsRequiresAClientCertificateFromTheCa) {
  StartServer(/*require_client_cert=*/true);
  EXPECT_TRUE(Call(Tls(/*with_client_cert=*/true)).ok());
  EXPECT_EQ(Call(Tls(/*with_client_cert=*/false)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Call(grpc::InsecureChannelCredentials()).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST(TlsSettingsTest, UnreadableOrHalfTlsSettingsAreRejected) {
  server::ServerSettings settings;
  settings.listen = "127.0.0.1:0";
  settings.log = nullptr;
  settings.tls_cert_file = absl::StrCat(kPki, "server.pem");
  EXPECT_EQ(server::MtaStsServer::Start(settings).status().code(),
            absl::StatusCode::kInvalidArgument);
  settings.tls_key_file = "/nonexistent/key.pem";
  auto started = server::MtaStsServer::Start(settings);
  EXPECT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(started.status().message().find("/nonexistent/key.pem"), std::string::npos);
}

// Each bad file used to get as far as gRPC, which only said "cannot listen on
// ... (address in use or invalid)": the cause is named now, with its flag.
TEST(TlsSettingsTest, BadTlsFilesAreNamedBeforeGrpcSeesThem) {
  const std::string cert = absl::StrCat(kPki, "server.pem");
  const std::string key = absl::StrCat(kPki, "server.key.pem");
  const std::string other_key = absl::StrCat(kPki, "client.key.pem");
  const std::string ca = absl::StrCat(kPki, "ca.pem");
  struct Case {
    std::string cert, key, client_ca, want;
  } cases[] = {
      {cert, other_key, "",
       absl::StrCat("--tls_key ", other_key,
                    " does not belong to the first certificate in --tls_cert ", cert)},
      {ca, key, "",
       absl::StrCat("--tls_key ", key, " does not belong to the first certificate in --tls_cert ",
                    ca)},
      {key, key, "", absl::StrCat("--tls_cert ", key, ": no PEM certificate in it")},
      {cert, cert, "", absl::StrCat("--tls_key ", cert, ": no PEM private key in it")},
      {cert, key, key, absl::StrCat("--tls_client_ca ", key, ": no PEM certificate in it")},
      {kPki, key, "", absl::StrCat("--tls_cert ", kPki, ": is a directory, not a file")},
      {cert, key, kPki, absl::StrCat("--tls_client_ca ", kPki, ": is a directory, not a file")},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.want);
    server::ServerSettings settings;
    settings.listen = "127.0.0.1:0";
    settings.log = nullptr;
    settings.tls_cert_file = c.cert;
    settings.tls_key_file = c.key;
    settings.tls_client_ca_file = c.client_ca;
    auto started = server::MtaStsServer::Start(settings);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(started.status().message()), ::testing::StartsWith(c.want));
  }
}

}  // namespace
}  // namespace mtasts::testing

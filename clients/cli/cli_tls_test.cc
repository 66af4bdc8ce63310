// --ca-file, --cert and --key against a fake checker that requires mutual TLS
// (the throwaway PKI in testdata/).
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "clients/cli/cli.h"
#include "clients/cli/cli_test_fixture.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace mtasts::cli {
namespace {

using ::testing::HasSubstr;

constexpr char kTestdata[] = "clients/cli/testdata/";

std::string ReadTestdata(const std::string& name) {
  std::ifstream file(kTestdata + name);
  std::stringstream contents;
  contents << file.rdbuf();
  EXPECT_FALSE(contents.str().empty()) << name;
  return contents.str();
}

// --- TLS -------------------------------------------------------------------

class CliTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::SslServerCredentialsOptions ssl(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = ReadTestdata("ca.pem");
    ssl.pem_key_cert_pairs.push_back(
        {ReadTestdata("server.key.pem"), ReadTestdata("server.pem")});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(ssl),
                             &port);
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    address_ = absl::StrCat("127.0.0.1:", port);
  }
  void TearDown() override { server_->Shutdown(); }

  FakeChecker fake_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

TEST_F(CliTlsTest, MutualTlsSucceeds) {
  std::string dir = kTestdata;
  CliResult r = RunArgs({"check", "good.example", "--server", address_,
                         "--ca-file", dir + "ca.pem", "--cert",
                         dir + "client.pem", "--key", dir + "client.key.pem"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Score 95/100"));
}

TEST_F(CliTlsTest, WithoutClientCertificateFails) {
  CliResult r = RunArgs({"check", "good.example", "--server", address_,
                         "--ca-file", std::string(kTestdata) + "ca.pem"});
  EXPECT_EQ(r.exit_code, kExitRpcError);
  EXPECT_THAT(r.err, HasSubstr("UNAVAILABLE"));
}

TEST_F(CliTlsTest, PlaintextClientFails) {
  CliResult r = RunArgs({"check", "good.example", "--server", address_});
  EXPECT_EQ(r.exit_code, kExitRpcError);
  EXPECT_THAT(r.err, HasSubstr("UNAVAILABLE"));
}

}  // namespace
}  // namespace mtasts::cli

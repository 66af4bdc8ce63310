// client_lab keeps the promises the client tests in other languages rely on:
// one JSON line with four endpoints, each answering as described, and a
// clean stop when its stdin closes.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "mtasts/v1/service.grpc.pb.h"

namespace {

using ::google::protobuf::Struct;

std::string lab_binary;
std::string server_binary;

std::string ReadFile(const std::string& path) {
  std::string out;
  if (FILE* f = fopen(path.c_str(), "rb")) {
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), f)) > 0) out.append(buffer, n);
    fclose(f);
  }
  return out;
}

class ClientLabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int in[2], out[2];
    ASSERT_EQ(pipe(in), 0);
    ASSERT_EQ(pipe(out), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, in[1]);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::vector<std::string> argv = {lab_binary, "--server=" + server_binary,
                                     "--pki=clients/cli/testdata"};
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&pid_, lab_binary.c_str(), &actions, nullptr, args.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    FILE* from = fdopen(out[0], "r");
    std::string line;
    char buffer[65536];
    if (fgets(buffer, sizeof(buffer), from) != nullptr) line = buffer;
    fclose(from);
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &lab_).ok()) << line;
  }

  void TearDown() override {
    if (pid_ <= 0) return;
    if (stdin_ >= 0) close(stdin_);
    int status = 0;
    waitpid(pid_, &status, 0);
  }

  std::string Field(const std::string& name) {
    auto it = lab_.fields().find(name);
    return it == lab_.fields().end() ? "" : it->second.string_value();
  }

  mtasts::v1::DomainReport Check(const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                                 const std::string& endpoint, const std::string& domain,
                                 grpc::Status* status) {
    grpc::ChannelArguments arguments;
    arguments.SetSslTargetNameOverride(Field("server_name"));
    auto stub = mtasts::v1::MtaStsChecker::NewStub(
        grpc::CreateCustomChannel(Field(endpoint), credentials, arguments));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    mtasts::v1::CheckDomainRequest request;
    request.set_domain(domain);
    for (const char* check :
         {"txt", "policy_fetch", "policy_content", "mx_match", "tls_rpt", "mx_tls"}) {
      request.mutable_options()->add_checks(check);
    }
    mtasts::v1::DomainReport report;
    *status = stub->CheckDomain(&context, request, &report);
    return report;
  }

  std::shared_ptr<grpc::ChannelCredentials> Tls(bool client_cert) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(Field("ca_file"));
    if (client_cert) {
      options.pem_cert_chain = ReadFile(Field("client_cert"));
      options.pem_private_key = ReadFile(Field("client_key"));
    }
    return grpc::SslCredentials(options);
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  Struct lab_;
};

void ExpectHealthy(const mtasts::v1::DomainReport& report) {
  EXPECT_EQ(report.state(), mtasts::v1::MTA_STS_STATE_ENFORCED) << report.DebugString();
  // Every check is listed; the one not asked for (dnssec) as NOT_RUN.
  EXPECT_EQ(report.checks_size(), 7);
  for (const auto& result : report.checks()) {
    EXPECT_EQ(result.status(), result.check() == "dnssec" ? mtasts::v1::CHECK_STATUS_NOT_RUN
                                                          : mtasts::v1::CHECK_STATUS_PASS)
        << result.DebugString();
  }
}

TEST_F(ClientLabTest, EveryEndpointChecksTheHealthyDomain) {
  ASSERT_EQ(lab_.fields().at("fleet").list_value().values_size(), 100);
  ASSERT_EQ(lab_.fields().at("slow").list_value().values_size(), 20);
  grpc::Status status;
  for (const char* endpoint : {"plaintext", "plaintext2"}) {
    ExpectHealthy(Check(grpc::InsecureChannelCredentials(), endpoint, Field("healthy"), &status));
    EXPECT_TRUE(status.ok()) << endpoint << ": " << status.error_message();
  }
  ExpectHealthy(Check(Tls(false), "tls", Field("healthy"), &status));
  EXPECT_TRUE(status.ok()) << status.error_message();
  ExpectHealthy(Check(Tls(true), "mtls", Field("healthy"), &status));
  EXPECT_TRUE(status.ok()) << status.error_message();
  // The last fleet domain is served like the first.
  ExpectHealthy(Check(grpc::InsecureChannelCredentials(), "plaintext", "good-99.test", &status));
}

// The fakes' addresses, for a server started elsewhere (the image test).
TEST_F(ClientLabTest, NamesItsFakes) {
  EXPECT_EQ(Field("dns").rfind("127.0.0.1:", 0), 0u) << Field("dns");
  EXPECT_GT(lab_.fields().at("https_port").number_value(), 0);
  EXPECT_GT(lab_.fields().at("smtp_port").number_value(), 0);
  EXPECT_NE(ReadFile(Field("policy_ca_file")).find("BEGIN CERTIFICATE"), std::string::npos);
}

TEST_F(ClientLabTest, MutualTlsRefusesAClientWithoutCertificate) {
  grpc::Status status;
  Check(Tls(false), "mtls", Field("healthy"), &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST_F(ClientLabTest, NoTxtAndInvalidDomains) {
  grpc::Status status;
  auto report = Check(grpc::InsecureChannelCredentials(), "plaintext", Field("no_txt"), &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_NE(report.state(), mtasts::v1::MTA_STS_STATE_ENFORCED);
  Check(grpc::InsecureChannelCredentials(), "plaintext", "not a domain!", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ClientLabTest, StopsWhenStdinCloses) {
  close(stdin_);
  stdin_ = -1;
  int status = 0;
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  pid_t done = 0;
  while ((done = waitpid(pid_, &status, WNOHANG)) == 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(done, pid_) << "client_lab still running 30 s after its stdin closed";
  pid_ = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 3) {
    fprintf(stderr, "usage: client_lab_test <client_lab> <mtasts_server>\n");
    return 2;
  }
  lab_binary = argv[1];
  server_binary = argv[2];
  return RUN_ALL_TESTS();
}

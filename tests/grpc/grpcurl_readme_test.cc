// Every grpcurl command in README.md's "Calling it" section and in
// docs/api.md's "grpcurl" section, run against the real server binary the way grpcurl runs it: through server reflection only,
// with no .proto and no generated mtasts or health code linked into this
// test. grpcurl itself is not packaged in Debian 12, so the calls go through
// tests/integration/reflection_client, which speaks the same reflection
// protocol (grpc.reflection.v1alpha, as grpcurl 1.8 does).
//
// The commands are parsed from the documents, so they cannot drift from what
// works (a -protoset command runs against a server with --reflection=false); a grpcurl flag or verb this test does not know fails it.
// Also: `describe` of every message, enum and service of mtasts.v1 matches
// the descriptor set built from proto/, and with --reflection=false `list`
// fails while a call with the descriptor set (grpcurl -protoset) works.
//
//   grpcurl_readme_test <mtasts_server> <README.md> <mtasts_v1.protoset> <docs/api.md>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cstdlib>
#include <functional>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_dns_server.h"
#include "tests/integration/reflection_client.h"

extern char** environ;

namespace mtasts::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;

std::string server_binary;
std::string readme_path;
std::string protoset_path;
std::string api_doc_path;

constexpr char kReadmeAddress[] = "127.0.0.1:50051";

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One command line split as sh would: single quotes verbatim, double quotes
// with backslash escapes, unquoted whitespace separates.
std::vector<std::string> ShellWords(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\'') {
      const size_t end = line.find('\'', i + 1);
      word += line.substr(i + 1, end - i - 1);
      i = end;
      in_word = true;
    } else if (c == '"') {
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) ++i;
        word += line[i];
      }
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else if (c == '#' && !in_word) {
      break;  // a comment after the command
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

// The grpcurl commands of a document's section `heading` ("## ..."), each
// with its backslash-continued lines joined.
std::vector<std::string> GrpcurlCommands(const std::string& path, absl::string_view heading) {
  std::vector<std::string> commands;
  bool in_section = false;
  bool continued = false;
  for (absl::string_view line : absl::StrSplit(ReadWhole(path), '\n')) {
    if (absl::StartsWith(line, "## ")) in_section = line == heading;
    if (!in_section) continue;
    line = absl::StripAsciiWhitespace(line);
    const bool continues = absl::EndsWith(line, "\\");
    if (continues) line.remove_suffix(1);
    if (continued) {
      absl::StrAppend(&commands.back(), " ", line);
    } else if (absl::StartsWith(line, "grpcurl ")) {
      commands.emplace_back(line);
    } else {
      continue;
    }
    continued = continues;
  }
  return commands;
}

// grpcurl -d for a streaming method: JSON objects one after another.
std::vector<std::string> JsonObjects(const std::string& data) {
  std::vector<std::string> objects;
  int depth = 0;
  bool in_string = false;
  size_t start = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      if (depth++ == 0) start = i;
    } else if (c == '}' && --depth == 0) {
      objects.push_back(data.substr(start, i - start + 1));
    }
  }
  return objects;
}

// A grpcurl command line, understood.
struct GrpcurlCommand {
  std::string line;
  bool plaintext = false;
  std::string data;     // -d
  std::string protoset;  // -protoset
  std::string address;  // host:port
  std::string verb;     // "list", "describe" or "call"
  std::string symbol;   // list/describe argument, or "service/method"
};

absl::StatusOr<GrpcurlCommand> Understand(const std::string& line) {
  GrpcurlCommand cmd;
  cmd.line = line;
  std::vector<std::string> words = ShellWords(line);
  std::vector<std::string> positional;
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "-plaintext") {
      cmd.plaintext = true;
    } else if (w == "-d" && i + 1 < words.size()) {
      cmd.data = words[++i];
    } else if (w == "-protoset" && i + 1 < words.size()) {
      cmd.protoset = words[++i];
    } else if (absl::StartsWith(w, "-")) {
      return absl::UnimplementedError(
          absl::StrCat("grpcurl flag ", w, " in README: teach grpcurl_readme_test it"));
    } else {
      positional.push_back(w);
    }
  }
  if (positional.size() < 2) return absl::InvalidArgumentError("no address and verb");
  cmd.address = positional[0];
  if (positional[1] == "list" || positional[1] == "describe") {
    cmd.verb = positional[1];
    if (positional.size() > 2) cmd.symbol = positional[2];
  } else if (absl::StrContains(positional[1], '/')) {
    cmd.verb = "call";
    cmd.symbol = positional[1];
  } else {
    return absl::UnimplementedError(absl::StrCat("grpcurl verb ", positional[1]));
  }
  if (positional.size() > 3) return absl::UnimplementedError("extra arguments");
  return cmd;
}

// The server binary on a free port, stopped (SIGTERM) when destroyed.
class ServerProcess {
 public:
  static std::unique_ptr<ServerProcess> Start(const std::vector<std::string>& flags) {
    auto p = std::unique_ptr<ServerProcess>(new ServerProcess());
    const char* tmp = std::getenv("TEST_TMPDIR");
    static int count = 0;
    p->log_ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/server", ++count, ".log");
    std::vector<std::string> args = {server_binary, "--listen=127.0.0.1:0"};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, p->log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    const int rc = posix_spawn(&p->pid_, server_binary.c_str(), &actions, nullptr, argv.data(),
                               environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      ADD_FAILURE() << "cannot start " << server_binary;
      return nullptr;
    }
    // Start-up is the event waited for; the bound is only against a hang.
    static const std::regex serving(R"re("event":"serving".*"port":([0-9]+))re");
    for (absl::Time give_up = absl::Now() + absl::Seconds(60); absl::Now() < give_up;) {
      std::smatch m;
      const std::string log = ReadWhole(p->log_);
      if (std::regex_search(log, m, serving)) {
        p->port_ = std::stoi(m[1]);
        return p;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    ADD_FAILURE() << "server did not start: " << ReadWhole(p->log_);
    return nullptr;
  }
  ~ServerProcess() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  int port() const { return port_; }

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_;
};

// protoc records every field's json_name in a descriptor set; the server's
// generated descriptors leave out the default ones. Not a difference.
void StripJsonNames(google::protobuf::DescriptorProto* m) {
  for (auto& f : *m->mutable_field()) f.clear_json_name();
  for (auto& n : *m->mutable_nested_type()) StripJsonNames(&n);
}

class GrpcurlReadmeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dns = fakes::FakeDnsServer::Start();
    ASSERT_TRUE(dns.ok()) << dns.status();
    dns_ = *std::move(dns);  // every name: NXDOMAIN, a quick report
  }

  std::unique_ptr<ServerProcess> StartServer(std::vector<std::string> flags) {
    flags.push_back(absl::StrCat("--dns_servers=", dns_->address()));
    flags.push_back(absl::StrCat("--dnssec_forwarder=", dns_->address()));
    flags.push_back("--check_timeout=10s");
    return ServerProcess::Start(flags);
  }

  static std::unique_ptr<ReflectionClient> Client(const std::string& address) {
    return std::make_unique<ReflectionClient>(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  }

  std::unique_ptr<fakes::FakeDnsServer> dns_;
};

TEST_F(GrpcurlReadmeTest, EveryDocumentedGrpcurlCommandWorks) {
  std::vector<std::string> lines = GrpcurlCommands(readme_path, "## Calling it");
  // The README shows list, two CheckDomain calls and the health check.
  ASSERT_GE(lines.size(), 4u) << "grpcurl commands not found in " << readme_path;
  const std::vector<std::string> api_doc = GrpcurlCommands(api_doc_path, "## grpcurl");
  ASSERT_GE(api_doc.size(), 5u) << "grpcurl commands not found in " << api_doc_path;
  lines.insert(lines.end(), api_doc.begin(), api_doc.end());

  auto server = StartServer({});
  ASSERT_NE(server, nullptr);
  auto locked_down = StartServer({"--reflection=false"});
  ASSERT_NE(locked_down, nullptr);

  for (const std::string& line : lines) {
    SCOPED_TRACE(line);
    absl::StatusOr<GrpcurlCommand> cmd = Understand(line);
    ASSERT_TRUE(cmd.ok()) << cmd.status();
    EXPECT_TRUE(cmd->plaintext) << "the documented server is plaintext";
    ASSERT_EQ(cmd->address, kReadmeAddress) << "serve.sh listens on " << kReadmeAddress;
    // A fresh client per command, as each grpcurl run is a fresh process.
    std::unique_ptr<ReflectionClient> client;
    if (cmd->protoset.empty()) {
      client = Client(absl::StrCat("127.0.0.1:", server->port()));
    } else {
      // What `bazel build //proto/mtasts/v1:mtasts_descriptor_set` makes.
      ASSERT_TRUE(absl::EndsWith(protoset_path, cmd->protoset) ||
                  absl::EndsWith(cmd->protoset, "proto/mtasts/v1/mtasts_v1.protoset"))
          << cmd->protoset << " is not the descriptor set target's output";
      client = Client(absl::StrCat("127.0.0.1:", locked_down->port()));
      ASSERT_TRUE(client->UseProtoset(protoset_path).ok());
    }
    if (cmd->verb == "list" && cmd->symbol.empty()) {
      auto services = client->ListServices();
      ASSERT_TRUE(services.ok()) << services.status();
      EXPECT_THAT(*services, IsSupersetOf({"mtasts.v1.MtaStsChecker", "grpc.health.v1.Health",
                                           "grpc.reflection.v1alpha.ServerReflection"}));
      // grpcurl describes what it lists; each must resolve.
      for (const std::string& service : *services) {
        EXPECT_TRUE(client->Describe(service).ok()) << service;
      }
    } else if (cmd->verb == "list") {
      auto methods = client->ListMethods(cmd->symbol);
      EXPECT_TRUE(methods.ok()) << methods.status();
    } else if (cmd->verb == "describe") {
      auto described = client->Describe(cmd->symbol);
      EXPECT_TRUE(described.ok()) << described.status();
    } else {
      const std::vector<std::string> parts = absl::StrSplit(cmd->symbol, '/');
      ASSERT_EQ(parts.size(), 2u);
      auto streaming = client->IsStreaming(parts[0], parts[1]);
      ASSERT_TRUE(streaming.ok()) << streaming.status();
      if (*streaming) {
        const std::vector<std::string> entries = JsonObjects(cmd->data);
        ASSERT_FALSE(entries.empty());
        auto events = client->CallStreamJson(parts[0], parts[1], entries);
        ASSERT_TRUE(events.ok()) << events.status();
        // One event per entry, then the summary.
        ASSERT_EQ(events->size(), entries.size() + 1);
        for (size_t i = 0; i < entries.size(); ++i) {
          EXPECT_THAT((*events)[i], HasSubstr("\"result\""));
        }
        EXPECT_THAT(events->back(), HasSubstr("\"summary\""));
        continue;
      }
      // grpcurl sends an empty message when -d is absent.
      auto reply = client->CallJson(parts[0], parts[1], cmd->data.empty() ? "{}" : cmd->data);
      ASSERT_TRUE(reply.ok()) << reply.status();
      if (parts[1] == "CheckDomain") {
        EXPECT_THAT(*reply, HasSubstr("\"domain\":\"example.com\""));
        EXPECT_THAT(*reply, HasSubstr("\"grade\":"));
      } else if (parts[0] == "grpc.health.v1.Health") {
        EXPECT_THAT(*reply, HasSubstr("\"status\":\"SERVING\""));
      }
    }
  }
}

// The health service used to be listed but not describable, so grpcurl
// refused to call it; this is the call that failed, on its own.
TEST_F(GrpcurlReadmeTest, HealthIsDescribedAndCalledThroughReflection) {
  auto server = StartServer({});
  ASSERT_NE(server, nullptr);
  auto client = Client(absl::StrCat("127.0.0.1:", server->port()));
  auto described = client->Describe("grpc.health.v1.Health");
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_THAT(*described, HasSubstr("Check"));
  auto reply = client->CallJson("grpc.health.v1.Health", "Check",
                                R"({"service":"mtasts.v1.MtaStsChecker"})");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_THAT(*reply, HasSubstr("\"status\":\"SERVING\""));
}

// `grpcurl describe X` for every message, enum and service of mtasts.v1
// (nested ones included) gives the definition built from proto/.
TEST_F(GrpcurlReadmeTest, DescribeEveryMtastsV1TypeMatchesTheProtos) {
  google::protobuf::FileDescriptorSet set;
  ASSERT_TRUE(set.ParseFromString(ReadWhole(protoset_path))) << protoset_path;
  auto server = StartServer({});
  ASSERT_NE(server, nullptr);
  auto client = Client(absl::StrCat("127.0.0.1:", server->port()));

  // The wanted definitions, built from proto/ the way reflection builds them.
  google::protobuf::DescriptorPool pool;
  for (const auto& file : set.file()) ASSERT_NE(pool.BuildFile(file), nullptr) << file.name();
  int described = 0;
  auto check = [&](const std::string& name, const std::string& want) {
    SCOPED_TRACE(name);
    auto got = client->Describe(name);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, want);
    ++described;
  };
  auto check_enum = [&](const google::protobuf::EnumDescriptor* e) {
    google::protobuf::EnumDescriptorProto proto;
    e->CopyTo(&proto);
    check(e->full_name(), proto.DebugString());
  };
  std::function<void(const google::protobuf::Descriptor*)> check_message =
      [&](const google::protobuf::Descriptor* m) {
        google::protobuf::DescriptorProto proto;
        m->CopyTo(&proto);
        StripJsonNames(&proto);
        check(m->full_name(), proto.DebugString());
        for (int i = 0; i < m->nested_type_count(); ++i) check_message(m->nested_type(i));
        for (int i = 0; i < m->enum_type_count(); ++i) check_enum(m->enum_type(i));
      };
  for (const auto& file_proto : set.file()) {
    if (file_proto.package() != "mtasts.v1") continue;
    const google::protobuf::FileDescriptor* file = pool.FindFileByName(file_proto.name());
    for (int i = 0; i < file->message_type_count(); ++i) check_message(file->message_type(i));
    for (int i = 0; i < file->enum_type_count(); ++i) check_enum(file->enum_type(i));
    for (int i = 0; i < file->service_count(); ++i) {
      google::protobuf::ServiceDescriptorProto proto;
      file->service(i)->CopyTo(&proto);
      check(file->service(i)->full_name(), proto.DebugString());
    }
  }
  // DomainReport, FleetEvent, ServerConfig, Severity, ... : dozens.
  EXPECT_GT(described, 30);
}

// --reflection=false: grpcurl's `list` fails; with -protoset (the descriptor
// set target) the CheckDomain call still works.
TEST_F(GrpcurlReadmeTest, ReflectionOffNeedsTheProtoset) {
  auto server = StartServer({"--reflection=false"});
  ASSERT_NE(server, nullptr);
  const std::string address = absl::StrCat("127.0.0.1:", server->port());

  auto services = Client(address)->ListServices();
  ASSERT_FALSE(services.ok());
  EXPECT_THAT(std::string(services.status().message()), HasSubstr("reflection"));
  auto reflected =
      Client(address)->CallJson("mtasts.v1.MtaStsChecker", "CheckDomain",
                                R"({"domain":"example.com"})");
  EXPECT_FALSE(reflected.ok()) << "a call without descriptors must need reflection";

  auto with_protoset = Client(address);
  ASSERT_TRUE(with_protoset->UseProtoset(protoset_path).ok());
  auto reply = with_protoset->CallJson("mtasts.v1.MtaStsChecker", "CheckDomain",
                                       R"({"domain":"example.com","options":{"checks":["txt"]}})");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_THAT(*reply, HasSubstr("\"domain\":\"example.com\""));
}

}  // namespace
}  // namespace mtasts::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 5) {
    fprintf(stderr, "usage: %s <mtasts_server> <README.md> <protoset> <api.md>\n", argv[0]);
    return 2;
  }
  mtasts::testing::server_binary = argv[1];
  mtasts::testing::readme_path = argv[2];
  mtasts::testing::protoset_path = argv[3];
  mtasts::testing::api_doc_path = argv[4];
  return RUN_ALL_TESTS();
}

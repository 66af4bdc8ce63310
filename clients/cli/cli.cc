#include "clients/cli/cli.h"

#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/cpp/client.h"
#include "clients/cli/domain_list.h"
#include "clients/cli/json.h"
#include "clients/cli/options.h"
#include "clients/cli/render.h"
#include "mtasts/v1/service.pb.h"

namespace mtasts::cli {
namespace {

using ::mtasts::v1::CheckDomainRequest;
using ::mtasts::v1::CheckOptions;
using ::mtasts::v1::DomainReport;
using ::mtasts::v1::FleetEvent;
using ::mtasts::v1::FleetRequest;
using ::mtasts::v1::FleetSummary;
using ::mtasts::client::Client;

// The source redraws the progress line at most this often; the sink redraws
// it after every result line it prints.
constexpr absl::Duration kProgressInterval = absl::Milliseconds(100);

void PrintUsageError(absl::string_view message, std::ostream& err) {
  err << "mtasts: " << message << "\nRun 'mtasts --help' for usage.\n";
}

std::string RpcErrorText(const absl::Status& status) {
  return absl::StrCat(StatusCodeName(static_cast<int>(status.code())), ": ",
                      status.message());
}

absl::StatusOr<std::string> ReadFile(const std::string& flag,
                                     const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot open ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

// Plaintext unless --tls (or a flag implying it) was given. Unreadable PEM
// files are usage errors: nothing was sent yet.
absl::StatusOr<std::unique_ptr<Client>> MakeClient(const CliOptions& opts) {
  client::ClientOptions options;
  options.target = opts.server;
  if (opts.tls) {
    client::TlsOptions tls;
    if (!opts.ca_file.empty()) {
      absl::StatusOr<std::string> roots = ReadFile("--ca-file", opts.ca_file);
      if (!roots.ok()) return roots.status();
      tls.root_certs_pem = *std::move(roots);
    }
    if (!opts.cert_file.empty()) {
      absl::StatusOr<std::string> cert = ReadFile("--cert", opts.cert_file);
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key = ReadFile("--key", opts.key_file);
      if (!key.ok()) return key.status();
      tls.cert_chain_pem = *std::move(cert);
      tls.private_key_pem = *std::move(key);
    }
    options.tls = std::move(tls);
  }
  return Client::Create(options);
}

absl::Duration CallTimeout(const CliOptions& opts) {
  return opts.timeout.has_value() ? *opts.timeout : absl::InfiniteDuration();
}

void FillCheckOptions(const CliOptions& opts, CheckOptions* options) {
  for (const std::string& check : opts.checks) options->add_checks(check);
  options->set_skip_mx_probe(opts.skip_mx_probe);
}

// One line of JSON (clients/cli/json.h: protobuf's JSON mapping, written
// directly). Fails only for values JSON cannot carry, such as a Timestamp
// outside years 1-9999 from a misbehaving server.
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message) {
  return MessageToJson(message);
}

int RunCheck(const CliOptions& opts, Client& client, std::ostream& out,
             std::ostream& err, bool color) {
  CheckDomainRequest request;
  request.set_domain(opts.target);
  FillCheckOptions(opts, request.mutable_options());

  // Retried by the client library while the server is busy or unreachable.
  absl::StatusOr<DomainReport> checked = client.Check(request, CallTimeout(opts));
  if (!checked.ok()) {
    err << "mtasts: check " << opts.target
        << " failed: " << RpcErrorText(checked.status()) << "\n";
    return kExitRpcError;
  }
  const DomainReport& report = *checked;

  if (opts.json) {
    absl::StatusOr<std::string> json = ToJson(report);
    if (!json.ok()) {
      err << "mtasts: " << json.status().message() << "\n";
      return kExitRpcError;
    }
    out << *json << "\n";
  } else {
    out << RenderReport(report, color);
  }
  out.flush();
  if (opts.fail_under.has_value() && report.score() < *opts.fail_under) {
    err << "mtasts: " << report.domain() << " scored " << report.score()
        << ", below --fail-under " << *opts.fail_under << "\n";
    return kExitFailUnder;
  }
  return kExitOk;
}

// One "mtasts fleet" run: the client library pulls the domain list line by
// line only as a stream has room (at most its window unanswered), and each
// event is printed as it arrives.
class FleetRun {
 public:
  // list must outlive the run. list_name is used in messages.
  FleetRun(const CliOptions& opts, std::istream& list, std::string list_name,
           bool list_is_file, std::ostream& out, std::ostream& err, bool color,
           bool progress)
      : opts_(opts),
        list_(list),
        list_name_(std::move(list_name)),
        list_is_file_(list_is_file),
        out_(out),
        err_(err),
        color_(color),
        progress_(progress) {}

  int Run(Client& client) {
    client::FleetOptions options;
    options.timeout = CallTimeout(opts_);
    // Lines are flushed per batch of events that arrived together, not one
    // write per line: a pipe still sees every event before the CLI waits.
    options.on_batch_end = [this]() { Flush(); };
    // A file answers at once: this thread then runs the whole fleet, with
    // no thread woken per entry. A pipe may wait for its writer, and the
    // events must not wait with it.
    options.drive_on_calling_thread = list_is_file_;
    options.window = opts_.window;
    client::FleetStats stats;
    std::optional<FleetSummary> summary;
    int64_t below = 0;
    // The library spreads the list over every backend of --server and
    // re-sends what a backend that went away did not answer; each entry's
    // event arrives here once, the summary last.
    absl::Status status = client.Fleet(
        [this]() { return NextEntry(); },
        [&](const FleetEvent& event) {
          switch (event.event_case()) {
            case FleetEvent::kResult:
              if (opts_.fail_under.has_value() &&
                  event.result().report().score() < *opts_.fail_under) {
                ++below;
              }
              ++done_;
              if (opts_.json) {
                PrintJson(event);
              } else {
                Print(RenderFleetResult(event.result(), color_));
              }
              break;
            case FleetEvent::kError:
              ++done_;
              ++errors_;
              if (opts_.json) {
                PrintJson(event);
              } else {
                Print(RenderFleetError(event.error(), color_));
              }
              break;
            case FleetEvent::kSummary:
              summary = event.summary();
              if (opts_.json) PrintJson(event);
              break;
            default:
              // An event kind newer than this client: JSON users may know it.
              if (opts_.json) PrintJson(event);
              break;
          }
        },
        options, &stats);

    absl::MutexLock lock(&mu_);
    ClearProgressLocked();
    if (input_error_.has_value()) {
      err_ << "mtasts: " << *input_error_ << "\n";
      return kExitUsage;
    }
    if (!status.ok()) {
      err_ << "mtasts: fleet stream failed after " << sent_ << " sent, "
           << done_ << " answered: " << RpcErrorText(status) << "\n";
      return kExitRpcError;
    }
    const std::string spread = SpreadLine(stats);
    if (!opts_.json) {
      if (summary.has_value()) {
        out_ << RenderFleetSummary(*summary, color_);
        if (!spread.empty()) out_ << "  " << spread << "\n";
      } else {
        err_ << "mtasts: the server sent no summary\n";
      }
    } else if (stats.resent > 0) {
      // stdout stays FleetEvents only.
      err_ << "mtasts: " << spread << "\n";
    }
    out_.flush();
    if (skipped_ > 0) {
      err_ << "mtasts: " << skipped_ << " malformed line(s) of " << list_name_
           << " skipped\n";
    }
    if (below > 0) {
      err_ << "mtasts: " << below << " domain(s) scored below --fail-under "
           << *opts_.fail_under << "\n";
      return kExitFailUnder;
    }
    return kExitOk;
  }

 private:
  // "Spread over 3 backends: ipv4:... 700, ...; 37 entries re-sent (...)";
  // empty for one backend that never failed.
  static std::string SpreadLine(const client::FleetStats& stats) {
    if (stats.backends <= 1 && stats.resent == 0) return "";
    std::string line = absl::StrCat("Spread over ", stats.backends, " backend",
                                    stats.backends == 1 ? "" : "s", ":");
    for (const auto& b : stats.per_backend) {
      absl::StrAppend(&line, " ", b.address, " ", b.answered,
                      b.failed_streams > 0 ? " (failed)" : "", ";");
    }
    absl::StrAppend(&line, " ", stats.resent, " entries re-sent");
    return line;
  }

  // The fleet's source (the library's threads, one at a time): the next
  // entry of the list, nullopt at its end, or an error when reading it
  // failed (then the fleet ends without a summary).
  absl::StatusOr<std::optional<FleetRequest>> NextEntry() {
    std::string line;
    while (std::getline(list_, line)) {
      ++line_number_;
      absl::StatusOr<std::optional<DomainListEntry>> entry =
          ParseDomainListLine(line, line_number_);
      if (!entry.ok()) {
        ++skipped_;
        Warn(absl::StrCat(list_name_, ":", line_number_, ": ",
                          entry.status().message(), "; line skipped"));
        continue;
      }
      if (!entry->has_value()) continue;
      FleetRequest request;
      request.set_domain((*entry)->domain);
      request.set_tag((*entry)->tag);
      FillCheckOptions(opts_, request.mutable_options());
      // Counted when handed over: the server may answer before the write
      // returns, and the progress line must never show more done than sent.
      ++sent_;
      MaybeDrawProgress();
      return request;
    }
    if (list_.bad()) {
      absl::MutexLock lock(&mu_);
      input_error_ = absl::StrCat("error reading ", list_name_, " after line ",
                                  line_number_, ": ", std::strerror(errno));
      return absl::DataLossError(*input_error_);
    }
    return std::nullopt;
  }

  // The event as a JSON line; nothing printed and a warning when it has no
  // JSON form. The sink's buffer keeps its capacity between events.
  void PrintJson(const FleetEvent& event) {
    json_.clear();
    if (!AppendDirectJson(event, &json_)) {
      absl::StatusOr<std::string> json = ProtobufJson(event);
      if (!json.ok()) {
        Warn(std::string(json.status().message()));
        return;
      }
      json_ = *std::move(json);
    }
    json_.push_back('\n');
    Print(json_);
  }

  // Prints one complete line (or lines) to out_, keeping the progress line
  // on the terminal below it. Flushed by Flush().
  void Print(absl::string_view text) {
    absl::MutexLock lock(&mu_);
    ClearProgressLocked();
    out_.write(text.data(), static_cast<std::streamsize>(text.size()));
    // On a terminal the line must be out before the progress line is drawn
    // again below it.
    if (progress_) out_.flush();
    DrawProgressLocked();
  }

  void Flush() {
    absl::MutexLock lock(&mu_);
    out_.flush();
  }

  void Warn(const std::string& text) {
    absl::MutexLock lock(&mu_);
    ClearProgressLocked();
    err_ << "mtasts: " << text << "\n";
    DrawProgressLocked();
  }

  void MaybeDrawProgress() {
    if (!progress_) return;
    absl::MutexLock lock(&mu_);
    if (absl::Now() - last_draw_ < kProgressInterval) return;
    DrawProgressLocked();
  }

  void DrawProgressLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!progress_) return;
    std::string line =
        absl::StrCat("sent ", sent_.load(), ", done ", done_.load());
    if (errors_ > 0) absl::StrAppend(&line, " (", errors_.load(), " errors)");
    err_ << "\r" << line << std::flush;
    progress_width_ = line.size();
    last_draw_ = absl::Now();
  }

  // Overwrites the progress line with spaces rather than an erase-line
  // escape, so stderr stays free of escapes.
  void ClearProgressLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (progress_width_ == 0) return;
    err_ << "\r" << std::string(progress_width_, ' ') << "\r" << std::flush;
    progress_width_ = 0;
  }

  const CliOptions& opts_;
  std::istream& list_;  // Read only by the source, one call at a time.
  int64_t line_number_ = 0;  // Likewise.
  const std::string list_name_;
  const bool list_is_file_;  // a regular file, not a pipe or terminal
  std::ostream& out_;  // Written under mu_.
  std::ostream& err_;  // Written under mu_.
  const bool color_;
  const bool progress_;

  std::string json_;  // Only the sink uses it (one event at a time).

  std::atomic<int64_t> sent_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<int64_t> errors_{0};
  std::atomic<int64_t> skipped_{0};

  absl::Mutex mu_;
  size_t progress_width_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_draw_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::optional<std::string> input_error_ ABSL_GUARDED_BY(mu_);
};

int RunFleet(const CliOptions& opts, Client& client,
             std::istream& in, std::ostream& out, std::ostream& err, bool color,
             bool progress) {
  if (opts.target == "-") {
    return FleetRun(opts, in, "<stdin>", false, out, err, color, progress)
        .Run(client);
  }
  // ifstream opens a directory without complaint; reading it then fails.
  struct stat info;
  const bool found = stat(opts.target.c_str(), &info) == 0;
  if (found && S_ISDIR(info.st_mode)) {
    PrintUsageError(absl::StrCat("fleet: ", opts.target, " is a directory"),
                    err);
    return kExitUsage;
  }
  std::ifstream file(opts.target);
  if (!file) {
    PrintUsageError(absl::StrCat("fleet: cannot open ", opts.target, ": ",
                                 std::strerror(errno)),
                    err);
    return kExitUsage;
  }
  return FleetRun(opts, file, opts.target, found && S_ISREG(info.st_mode), out,
                  err, color, progress)
      .Run(client);
}

}  // namespace

int RunCli(int argc, char** argv, std::istream& in, std::ostream& out,
           std::ostream& err, Terminal terminal) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  if (args.empty()) {
    err << kUsage;
    return kExitUsage;
  }
  absl::StatusOr<CliOptions> opts = ParseArgs(args, Environment::FromProcess());
  if (!opts.ok()) {
    PrintUsageError(opts.status().message(), err);
    return kExitUsage;
  }
  if (opts->command == Command::kHelp) {
    out << kUsage;
    return kExitOk;
  }

  absl::StatusOr<std::unique_ptr<Client>> client = MakeClient(*opts);
  if (!client.ok()) {
    PrintUsageError(client.status().message(), err);
    return kExitUsage;
  }

  // JSON is for programs: never coloured, whatever the terminal.
  bool color = opts->color_allowed && !opts->json && terminal.stdout_is_tty;
  if (opts->command == Command::kCheck) {
    return RunCheck(*opts, **client, out, err, color);
  }
  return RunFleet(*opts, **client, in, out, err, color, terminal.stderr_is_tty);
}

int RunCli(int argc, char** argv, std::istream& in, std::ostream& out,
           std::ostream& err, bool is_tty) {
  Terminal terminal;
  terminal.stdout_is_tty = is_tty;
  terminal.stderr_is_tty = is_tty;
  return RunCli(argc, argv, in, out, err, terminal);
}

}  // namespace mtasts::cli

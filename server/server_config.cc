#include "server/server_config.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/time_util.h"
#include "server/flag_file.h"

namespace mtasts::server {
namespace {

// Collects the parser's complaints instead of letting protobuf log them.
class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (first_.empty()) first_ = absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message);
  }
  void AddWarning(int, int, const std::string&) override {}
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

absl::Status CheckDuration(const google::protobuf::Duration& d, const char* field) {
  // google.protobuf.Duration's own range: ±10,000 years, nanos below 1e9.
  if (d.seconds() < 0 || d.nanos() < 0 || d.seconds() > 315576000000 ||
      d.nanos() > 999999999) {
    return absl::InvalidArgumentError(absl::StrCat("config: ", field, " must not be negative"));
  }
  return absl::OkStatus();
}

absl::Status CheckNonNegative(int64_t value, const char* field) {
  if (value < 0) {
    return absl::InvalidArgumentError(absl::StrCat("config: ", field, " must not be negative"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::ServerConfig> ParseServerConfig(const std::string& text) {
  v1::ServerConfig config;
  google::protobuf::TextFormat::Parser parser;
  ErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &config)) {
    return absl::InvalidArgumentError(absl::StrCat("config: ", errors.first()));
  }
  const v1::Limits& l = config.limits();
  for (const auto& [d, name] :
       {std::pair{&l.dns_timeout(), "limits.dns_timeout"},
        std::pair{&l.check_timeout(), "limits.check_timeout"},
        std::pair{&l.policy_fetch_timeout(), "limits.policy_fetch_timeout"},
        std::pair{&l.policy_fetch_slow_after(), "limits.policy_fetch_slow_after"},
        std::pair{&l.smtp_greeting_slow_after(), "limits.smtp_greeting_slow_after"},
        std::pair{&l.smtp_greeting_timeout(), "limits.smtp_greeting_timeout"},
        std::pair{&l.shutdown_grace(), "limits.shutdown_grace"}}) {
    absl::Status s = CheckDuration(*d, name);
    if (!s.ok()) return s;
  }
  for (const auto& [v, name] :
       {std::pair{int64_t{l.dns_tries()}, "limits.dns_tries"},
        std::pair{int64_t{l.max_cname_depth()}, "limits.max_cname_depth"},
        std::pair{int64_t{l.max_inflight()}, "limits.max_inflight"},
        std::pair{int64_t{l.fleet_max_inflight()}, "limits.fleet_max_inflight"},
        std::pair{int64_t{l.max_txt_record_bytes()}, "limits.max_txt_record_bytes"},
        std::pair{int64_t{l.max_txt_records()}, "limits.max_txt_records"},
        std::pair{int64_t{l.max_mx_hosts()}, "limits.max_mx_hosts"},
        std::pair{int64_t{l.dns_max_outstanding()}, "limits.dns_max_outstanding"}}) {
    absl::Status s = CheckNonNegative(v, name);
    if (!s.ok()) return s;
  }
  return config;
}

absl::StatusOr<v1::ServerConfig> LoadServerConfig(const std::string& path) {
  auto text = ReadFlagFile("--config", path);
  if (!text.ok()) return text.status();
  return ParseServerConfig(*text);
}

}  // namespace mtasts::server

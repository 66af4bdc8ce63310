#include "net/smtp_types.h"

namespace mtasts::net {

absl::string_view SmtpPhaseName(SmtpPhase phase) {
  switch (phase) {
    case SmtpPhase::kNone: return "start";
    case SmtpPhase::kConnect: return "TCP connect";
    case SmtpPhase::kGreeting: return "greeting";
    case SmtpPhase::kEhlo: return "EHLO";
    case SmtpPhase::kStartTls: return "STARTTLS reply";
    case SmtpPhase::kTlsHandshake: return "TLS handshake";
    case SmtpPhase::kQuit: return "QUIT";
    case SmtpPhase::kDone: return "end";
  }
  return "unknown phase";
}

absl::string_view SmtpFailureName(SmtpFailure failure) {
  switch (failure) {
    case SmtpFailure::kNone: return "none";
    case SmtpFailure::kMalformed: return "smtp_malformed";
    case SmtpFailure::kRejected: return "smtp_rejected";
    case SmtpFailure::kStartTlsNotOffered: return "starttls_not_offered";
  }
  return "unknown";
}

absl::string_view SmtpProbeResult::FailureName() const {
  return smtp_failure != SmtpFailure::kNone ? SmtpFailureName(smtp_failure)
                                            : NetFailureName(error.failure);
}

}  // namespace mtasts::net

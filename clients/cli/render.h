// Text for people: a DomainReport as a readable report, fleet events as one
// line each, and the fleet summary. Pure functions of the messages, so the
// layout is tested without a server.
//
// With color set, grades, statuses and severities carry ANSI SGR sequences;
// without it the text contains no escape byte at all.
#ifndef MTASTS_CLIENTS_CLI_RENDER_H_
#define MTASTS_CLIENTS_CLI_RENDER_H_

#include <string>

#include "mtasts/v1/service.pb.h"

namespace mtasts::cli {

// Enum values without their prefix ("GRADE_B" -> "B", "CHECK_STATUS_PASS" ->
// "PASS"); the number for a value newer than this client.
std::string GradeLabel(int grade);
std::string StateLabel(int state);
std::string CheckStatusLabel(int status);
std::string SeverityLabel(int severity);

// gRPC status code name, e.g. 3 -> "INVALID_ARGUMENT"; "CODE_<n>" if unknown.
std::string StatusCodeName(int code);

// The whole report for "mtasts check", ending in a newline.
std::string RenderReport(const mtasts::v1::DomainReport& report, bool color);

// One line, newline included: "GRADE SCORE STATE domain [tag]".
std::string RenderFleetResult(const mtasts::v1::FleetResult& result,
                              bool color);

// One line in the same columns, newline included:
// "-   -  ERROR        domain [tag] CODE: message".
std::string RenderFleetError(const mtasts::v1::FleetError& error, bool color);

// The end-of-stream totals: counts per grade and state, score histogram,
// mean, the slowest domains, then RenderFleetGroupings.
std::string RenderFleetSummary(const mtasts::v1::FleetSummary& summary,
                               bool color);

// The summary's groups, one heading per kind, largest first:
// "    37 domains: MX_TLS_CERT_EXPIRED (HIGH) - e.g. a.example [t1], b.example"
// "    30 domains: mx.p.example: MX_TLS_CERT_EXPIRED (HIGH) for 10 - e.g. ..."
// ("for N" when not every domain of the group saw that outcome), then how
// many smaller groups and ungrouped domains were left out. Control
// characters in keys, outcomes, domains and tags are shown as '?'.
std::string RenderFleetGroupings(const mtasts::v1::FleetSummary& summary,
                                 bool color);

}  // namespace mtasts::cli

#endif  // MTASTS_CLIENTS_CLI_RENDER_H_

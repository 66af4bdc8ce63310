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
// mean and the slowest domains.
std::string RenderFleetSummary(const mtasts::v1::FleetSummary& summary,
                               bool color);

}  // namespace mtasts::cli

#endif  // MTASTS_CLIENTS_CLI_RENDER_H_

#include "clients/cli/render.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace mtasts::cli {
namespace {

using ::mtasts::v1::CheckResult;
using ::mtasts::v1::DomainReport;
using ::mtasts::v1::Finding;
using ::mtasts::v1::FleetError;
using ::mtasts::v1::FleetResult;
using ::mtasts::v1::FleetGroup;
using ::mtasts::v1::FleetGrouping;
using ::mtasts::v1::FleetSummary;

// ANSI SGR sequences.
constexpr char kReset[] = "\033[0m";
constexpr char kBold[] = "\033[1m";
constexpr char kDim[] = "\033[2m";
constexpr char kRed[] = "\033[31m";
constexpr char kBoldRed[] = "\033[1;31m";
constexpr char kGreen[] = "\033[32m";
constexpr char kYellow[] = "\033[33m";
constexpr char kMagenta[] = "\033[35m";
constexpr char kCyan[] = "\033[36m";

// Text width for wrapped paragraphs; terminals are at least this wide.
constexpr int kWrapWidth = 80;

std::string Paint(absl::string_view text, const char* sgr, bool color) {
  if (!color || sgr == nullptr || text.empty()) return std::string(text);
  return absl::StrCat(sgr, text, kReset);
}

// Pads before painting so that escape bytes don't upset the column width.
std::string PaintPadded(absl::string_view text, size_t width, const char* sgr,
                        bool color) {
  std::string padded(text);
  if (padded.size() < width) padded.append(width - padded.size(), ' ');
  return Paint(padded, sgr, color);
}

// Strips an enum value name's prefix; the number when the name is unknown.
std::string Label(const std::string& name, absl::string_view prefix,
                  int value) {
  if (name.empty()) return absl::StrCat(value);
  return std::string(absl::StripPrefix(name, prefix));
}

const char* GradeColor(int grade) {
  switch (grade) {
    case mtasts::v1::GRADE_A:
    case mtasts::v1::GRADE_B:
      return kGreen;
    case mtasts::v1::GRADE_C:
    case mtasts::v1::GRADE_D:
      return kYellow;
    case mtasts::v1::GRADE_F:
      return kRed;
    default:
      return nullptr;
  }
}

const char* StateColor(int state) {
  switch (state) {
    case mtasts::v1::MTA_STS_STATE_ENFORCED:
      return kGreen;
    case mtasts::v1::MTA_STS_STATE_TESTING:
    case mtasts::v1::MTA_STS_STATE_UNDETERMINED:
      return kYellow;
    case mtasts::v1::MTA_STS_STATE_BROKEN:
      return kRed;
    default:
      return nullptr;
  }
}

const char* StatusColor(int status) {
  switch (status) {
    case mtasts::v1::CHECK_STATUS_PASS:
      return kGreen;
    case mtasts::v1::CHECK_STATUS_WARN:
      return kYellow;
    case mtasts::v1::CHECK_STATUS_FAIL:
      return kRed;
    case mtasts::v1::CHECK_STATUS_INCONCLUSIVE:
      return kMagenta;
    default:
      return kDim;
  }
}

const char* SeverityColor(int severity) {
  switch (severity) {
    case mtasts::v1::SEVERITY_CRITICAL:
      return kBoldRed;
    case mtasts::v1::SEVERITY_HIGH:
      return kRed;
    case mtasts::v1::SEVERITY_MEDIUM:
      return kYellow;
    case mtasts::v1::SEVERITY_LOW:
      return kCyan;
    default:
      return kDim;
  }
}

// Text a remote party chose (MX host names and rua URIs come from DNS) made
// safe for a terminal: C0 and C1 control characters and DEL become '?', so
// no escape sequence reaches it.
std::string Printable(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      out.push_back('?');
    } else if (c == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      out.push_back('?');  // U+0080..U+009F
      ++i;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

int64_t Millis(const google::protobuf::Duration& d) {
  return d.seconds() * 1000 + d.nanos() / 1000000;
}

// "850 ms", "12.3 s", "4m05s": precise for short runs, short for long ones.
std::string HumanDuration(const google::protobuf::Duration& d) {
  int64_t ms = Millis(d);
  if (ms < 1000) return absl::StrCat(ms, " ms");
  if (ms < 60000) return absl::StrFormat("%.1f s", ms / 1000.0);
  return absl::StrFormat("%dm%02ds", ms / 60000, (ms / 1000) % 60);
}

// Points are doubles in the API; most weights are whole numbers.
std::string Points(double p) { return absl::StrFormat("%g", p); }

// Word-wraps text to kWrapWidth, every line starting with indent. Newlines in
// text start new lines.
std::string Wrap(absl::string_view text, absl::string_view indent) {
  std::string out;
  for (absl::string_view para : absl::StrSplit(text, '\n')) {
    std::string line(indent);
    bool line_empty = true;
    for (absl::string_view word :
         absl::StrSplit(para, ' ', absl::SkipEmpty())) {
      if (!line_empty && line.size() + 1 + word.size() > kWrapWidth) {
        absl::StrAppend(&out, line, "\n");
        line = std::string(indent);
        line_empty = true;
      }
      if (!line_empty) line.push_back(' ');
      absl::StrAppend(&line, word);
      line_empty = false;
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

// "example.com" or "xn--bcher-kva.example (bücher.example)".
std::string DomainWithUnicode(const DomainReport& report) {
  if (report.unicode_domain().empty() ||
      report.unicode_domain() == report.domain()) {
    return report.domain();
  }
  return absl::StrCat(report.domain(), " (", report.unicode_domain(), ")");
}

bool InRecommendations(const DomainReport& report, const std::string& text) {
  return std::find(report.recommendations().begin(),
                   report.recommendations().end(),
                   text) != report.recommendations().end();
}

// An action of the report already covers this finding.
bool Resolved(const DomainReport& report, const Finding& finding) {
  for (const auto& action : report.actions()) {
    for (int code : action.resolves()) {
      if (code == finding.code()) return true;
    }
  }
  return false;
}

// The actions, or for a server older than `actions` its plain list.
struct ActionLine {
  std::string text;
  int priority;  // Severity; 0 when unknown
};

std::vector<ActionLine> ActionLines(const DomainReport& report) {
  std::vector<ActionLine> out;
  if (!report.actions().empty()) {
    for (const auto& a : report.actions()) out.push_back({a.action(), a.priority()});
  } else {
    for (const std::string& r : report.recommendations()) out.push_back({r, 0});
  }
  return out;
}

// "   1. [HIGH]   text", wrapped under the text.
void AppendNumbered(const std::vector<ActionLine>& lines, size_t from, size_t to, bool color,
                    std::string* out) {
  for (size_t i = from; i < to && i < lines.size(); ++i) {
    std::string number = absl::StrFormat("  %2d. ", i + 1);
    std::string tag;
    if (lines[i].priority > 0) {
      tag = PaintPadded(absl::StrCat("[", SeverityLabel(lines[i].priority), "]"), 11,
                        SeverityColor(lines[i].priority), color);
    }
    std::string wrapped = Wrap(lines[i].text, "      ");
    // Replace the first line's indent with the number (and the tag).
    absl::StrAppend(out, number, tag, wrapped.substr(number.size()));
  }
}

void AppendFinding(const DomainReport& report, const Finding& finding,
                   bool color, std::string* out) {
  constexpr absl::string_view kIndent = "                ";
  std::string tag = absl::StrCat("[", SeverityLabel(finding.severity()), "]");
  absl::StrAppend(
      out, "      ",
      PaintPadded(tag, 10, SeverityColor(finding.severity()), color),
      finding.title());
  std::string code = mtasts::v1::FindingCode_Name(finding.code());
  if (!code.empty()) absl::StrAppend(out, "  ", Paint(code, kDim, color));
  absl::StrAppend(out, "\n");
  if (!finding.subject().empty()) {
    absl::StrAppend(out, kIndent, "at ", finding.subject(), "\n");
  }
  if (!finding.detail().empty()) {
    absl::StrAppend(out, Wrap(finding.detail(), kIndent));
  }
  // The numbered list at the end usually repeats it; say it here only when it
  // would otherwise be lost.
  if (!finding.recommendation().empty() && !Resolved(report, finding) &&
      !InRecommendations(report, finding.recommendation())) {
    absl::StrAppend(out, Wrap("Fix: " + finding.recommendation(), kIndent));
  }
}

void AppendCheck(const DomainReport& report, const CheckResult& check,
                 size_t name_width, bool color, std::string* out) {
  std::string points = check.points_possible() > 0
                           ? absl::StrCat(Points(check.points_earned()), "/",
                                          Points(check.points_possible()))
                           : "-";
  absl::StrAppend(
      out, "  ",
      PaintPadded(CheckStatusLabel(check.status()), 13,
                  StatusColor(check.status()), color),
      PaintPadded(check.check(), name_width + 2, kBold, color),
      absl::StrFormat("%7s  %8s", points,
                      absl::StrCat(Millis(check.duration()), " ms")),
      "\n");
  if (!check.summary().empty()) {
    absl::StrAppend(out, Paint(Wrap(check.summary(), "      "), kDim, color));
  }
  for (const Finding& finding : check.findings()) {
    AppendFinding(report, finding, color, out);
  }
}

void AppendBlock(absl::string_view heading, absl::string_view body, bool color,
                 std::string* out) {
  absl::StrAppend(out, "\n", Paint(heading, kBold, color), "\n");
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    // Policy files are CRLF-terminated (RFC 8461 §3.2); show them plainly.
    line = absl::StripSuffix(line, "\r");
    absl::StrAppend(out, "  ", line, "\n");
  }
}

}  // namespace

std::string GradeLabel(int grade) {
  return Label(mtasts::v1::Grade_Name(grade), "GRADE_", grade);
}

std::string StateLabel(int state) {
  return Label(mtasts::v1::MtaStsState_Name(state), "MTA_STS_STATE_", state);
}

std::string CheckStatusLabel(int status) {
  return Label(mtasts::v1::CheckStatus_Name(status), "CHECK_STATUS_", status);
}

std::string SeverityLabel(int severity) {
  return Label(mtasts::v1::Severity_Name(severity), "SEVERITY_", severity);
}

std::string StatusCodeName(int code) {
  std::string name =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? absl::StrCat("CODE_", code) : name;
}

std::string RenderReport(const DomainReport& report, bool color) {
  std::string out;
  absl::StrAppend(&out, Paint(DomainWithUnicode(report), kBold, color), "\n");
  absl::StrAppend(
      &out, "  Score ",
      Paint(absl::StrCat(report.score(), "/100"), kBold, color), "   Grade ",
      Paint(GradeLabel(report.grade()), GradeColor(report.grade()), color),
      "   State ",
      Paint(StateLabel(report.state()), StateColor(report.state()), color));
  if (report.has_duration()) {
    absl::StrAppend(
        &out, "   ",
        Paint(absl::StrCat("(", HumanDuration(report.duration()), ")"), kDim,
              color));
  }
  absl::StrAppend(&out, "\n");
  if (report.has_checked_at()) {
    absl::Time at = absl::FromUnixSeconds(report.checked_at().seconds()) +
                    absl::Nanoseconds(report.checked_at().nanos());
    absl::StrAppend(
        &out,
        Paint(absl::StrCat("  Checked ",
                           absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", at,
                                            absl::UTCTimeZone())),
              kDim, color),
        "\n");
  }

  // What to do first: the one to three actions that matter most.
  const std::vector<ActionLine> actions = ActionLines(report);
  constexpr size_t kFirstActions = 3;
  absl::StrAppend(&out, "\n", Paint("What to do", kBold, color), "\n");
  if (actions.empty()) {
    absl::StrAppend(&out, "  Nothing to fix.\n");
  } else {
    AppendNumbered(actions, 0, kFirstActions, color, &out);
    if (actions.size() > kFirstActions) {
      absl::StrAppend(&out, Paint(absl::StrCat("  (", actions.size() - kFirstActions,
                                               " more under \"Also to do\")\n"),
                                  kDim, color));
    }
  }

  if (!report.summary().empty()) {
    absl::StrAppend(&out, "\n", Paint("Summary", kBold, color), "\n",
                    Wrap(report.summary(), "  "));
  }

  if (!report.checks().empty()) {
    size_t name_width = 14;
    for (const CheckResult& check : report.checks()) {
      name_width = std::max(name_width, check.check().size());
    }
    absl::StrAppend(&out, "\n", Paint("Checks", kBold, color), "\n");
    for (const CheckResult& check : report.checks()) {
      AppendCheck(report, check, name_width, color, &out);
    }
  }

  if (actions.size() > kFirstActions) {
    absl::StrAppend(&out, "\n", Paint("Also to do", kBold, color), "\n");
    AppendNumbered(actions, kFirstActions, actions.size(), color, &out);
  }

  if (!report.good_practice().empty()) {
    absl::StrAppend(&out, "\n", Paint("Good practice", kBold, color), "\n");
    for (const std::string& g : report.good_practice()) {
      std::string wrapped = Wrap(g, "    ");
      absl::StrAppend(&out, "  - ", wrapped.substr(4));
    }
  }

  if (!report.suggested_txt().empty()) {
    AppendBlock(
        absl::StrCat("Suggested TXT record at _mta-sts.", report.domain(), ":"),
        report.suggested_txt(), color, &out);
  }
  if (!report.suggested_policy().empty()) {
    AppendBlock(absl::StrCat("Suggested policy at https://mta-sts.",
                             report.domain(), "/.well-known/mta-sts.txt:"),
                absl::StripSuffix(report.suggested_policy(), "\n"), color,
                &out);
  }
  if (!report.suggestion_notes().empty()) {
    const bool suggested =
        !report.suggested_policy().empty() || !report.suggested_txt().empty();
    absl::StrAppend(&out, "\n", Paint(suggested ? "Why" : "Suggestions", kBold, color), "\n");
    for (const std::string& n : report.suggestion_notes()) {
      std::string wrapped = Wrap(n, "    ");
      absl::StrAppend(&out, "  - ", wrapped.substr(4));
    }
  }
  return out;
}

std::string RenderFleetResult(const FleetResult& result, bool color) {
  const DomainReport& report = result.report();
  return absl::StrCat(PaintPadded(GradeLabel(report.grade()), 2,
                                  GradeColor(report.grade()), color),
                      absl::StrFormat("%3d  ", report.score()),
                      PaintPadded(StateLabel(report.state()), 13,
                                  StateColor(report.state()), color),
                      DomainWithUnicode(report), " [", result.tag(), "]\n");
}

std::string RenderFleetError(const FleetError& error, bool color) {
  return absl::StrCat("-   -  ", PaintPadded("ERROR", 13, kRed, color),
                      error.domain(), " [", error.tag(), "] ",
                      StatusCodeName(error.code()), ": ", error.message(),
                      "\n");
}

namespace {

const char* GroupingTitle(int kind) {
  switch (kind) {
    case mtasts::v1::FLEET_GROUP_KIND_FINDING_CODE:
      return "Findings shared";
    case mtasts::v1::FLEET_GROUP_KIND_MX_HOST:
      return "MX hosts";
    case mtasts::v1::FLEET_GROUP_KIND_POLICY_ADDRESS:
      return "Policy host addresses";
    case mtasts::v1::FLEET_GROUP_KIND_POLICY_CERTIFICATE:
      return "Policy host certificates";
    case mtasts::v1::FLEET_GROUP_KIND_TLS_RPT_DESTINATION:
      return "TLS-RPT destinations";
    default:
      return nullptr;
  }
}

std::string Domains(int n) { return absl::StrCat(n, n == 1 ? " domain" : " domains"); }

// "37 domains: MX_TLS_CERT_EXPIRED (HIGH) - e.g. a.example, b.example [t]"
// and, for keys with an outcome, "30 domains: mx.p.example: MX_TLS_CERT_EXPIRED
// (HIGH) for 10 - e.g. ...".
std::string RenderGroup(const FleetGroup& g, bool finding_code, bool color) {
  std::string line = absl::StrCat("    ", Domains(g.count()), ": ", Printable(g.key()));
  const bool has_severity = g.severity() != mtasts::v1::SEVERITY_UNSPECIFIED;
  auto severity = [&] {
    return absl::StrCat(" (", Paint(SeverityLabel(g.severity()), SeverityColor(g.severity()), color),
                        ")");
  };
  if (finding_code) {
    if (has_severity) absl::StrAppend(&line, severity());
  } else if (!g.outcome().empty()) {
    absl::StrAppend(&line, ": ", Printable(g.outcome()));
    // INFO is "nothing wrong": its label would only add noise.
    if (has_severity && g.severity() != mtasts::v1::SEVERITY_INFO) absl::StrAppend(&line, severity());
    if (g.outcome_count() != g.count()) absl::StrAppend(&line, " for ", g.outcome_count());
  }
  if (!g.examples().empty()) {
    absl::StrAppend(&line, " - e.g. ");
    for (int i = 0; i < g.examples_size(); ++i) {
      const auto& e = g.examples(i);
      absl::StrAppend(&line, i > 0 ? ", " : "", Printable(e.domain()));
      if (!e.tag().empty()) absl::StrAppend(&line, " [", Printable(e.tag()), "]");
    }
  }
  absl::StrAppend(&line, "\n");
  return line;
}

}  // namespace

std::string RenderFleetGroupings(const FleetSummary& summary, bool color) {
  std::string out;
  for (const FleetGrouping& grouping : summary.groupings()) {
    const char* title = GroupingTitle(grouping.kind());
    if (title == nullptr) continue;  // a kind newer than this client
    absl::StrAppend(&out, "  ", title, "\n");
    const bool codes = grouping.kind() == mtasts::v1::FLEET_GROUP_KIND_FINDING_CODE;
    for (const FleetGroup& g : grouping.groups()) absl::StrAppend(&out, RenderGroup(g, codes, color));
    if (grouping.keys_not_sent() > 0) {
      absl::StrAppend(&out, "    and ", grouping.keys_not_sent(), " smaller ",
                      grouping.keys_not_sent() == 1 ? "group" : "groups", "\n");
    }
    if (grouping.untracked() > 0) {
      absl::StrAppend(&out, "    and ", Domains(grouping.untracked()),
                      " not grouped (the server's limit of distinct keys was reached)\n");
    }
  }
  return out;
}

std::string RenderFleetSummary(const FleetSummary& summary, bool color) {
  std::string out;
  absl::StrAppend(&out, "\n", Paint("Fleet summary", kBold, color), "\n");
  absl::StrAppend(&out, "  ", summary.received(), " received, ",
                  summary.reported(), " reported, ", summary.errors(),
                  " errors");
  if (summary.has_duration()) {
    absl::StrAppend(&out, " in ", HumanDuration(summary.duration()));
  }
  absl::StrAppend(&out, "\n");
  if (summary.reported() > 0) {
    absl::StrAppend(
        &out, absl::StrFormat("  Mean score %.1f\n", summary.mean_score()));
  }

  if (!summary.by_grade().empty()) {
    absl::StrAppend(&out, "  Grades ");
    for (const auto& g : summary.by_grade()) {
      absl::StrAppend(
          &out, "  ",
          Paint(GradeLabel(g.grade()), GradeColor(g.grade()), color), " ",
          g.count());
    }
    absl::StrAppend(&out, "\n");
  }
  if (!summary.by_state().empty()) {
    absl::StrAppend(&out, "  States ");
    for (const auto& s : summary.by_state()) {
      absl::StrAppend(
          &out, "  ",
          Paint(StateLabel(s.state()), StateColor(s.state()), color), " ",
          s.count());
    }
    absl::StrAppend(&out, "\n");
  }

  // Bars are scaled so that the fullest bucket is kBarWidth wide.
  constexpr int kBarWidth = 40;
  int most = 0;
  for (int n : summary.score_histogram()) most = std::max(most, n);
  if (most > 0) {
    absl::StrAppend(&out, "  Scores\n");
    for (int i = 0; i < summary.score_histogram_size(); ++i) {
      int n = summary.score_histogram(i);
      int bar = n == 0 ? 0 : std::max(1, n * kBarWidth / most);
      // score_histogram[9] also counts 100 (service.proto).
      std::string range =
          i == 9 ? "90-100" : absl::StrCat(10 * i, "-", 10 * i + 9);
      absl::StrAppend(&out, absl::StrFormat("    %6s %6d", range, n),
                      bar > 0 ? " " : "", std::string(bar, '#'), "\n");
    }
  }

  if (!summary.slowest().empty()) {
    absl::StrAppend(&out, "  Slowest\n");
    for (const auto& d : summary.slowest()) {
      absl::StrAppend(&out,
                      absl::StrFormat("    %9s  ", HumanDuration(d.duration())),
                      d.domain(), " [", d.tag(), "]\n");
    }
  }
  absl::StrAppend(&out, RenderFleetGroupings(summary, color));
  return out;
}

}  // namespace mtasts::cli

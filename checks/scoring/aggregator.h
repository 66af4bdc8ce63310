// The aggregator: turns per-check results into the report's verdict.
//
// The engine fills a DomainReport's checks (status and points already set:
// points_earned = the verdict's fraction × the check's weight), their
// findings and the evidence; Aggregate() then writes everything a reader
// looks at first:
//
//   // report: the engine's, with every check's result and the evidence
//   scoring::Aggregate(&report, {"txt", "policy_fetch", ...});
//   // report.score() == 87, report.grade() == GRADE_B,
//   // report.state() == MTA_STS_STATE_TESTING, report.summary() == "...",
//   // report.suggested_policy() == "version: STSv1\nmode: testing\n..."
//
// Pure functions: no I/O, no clock (the suggested TXT id comes from
// report.checked_at), safe on any thread.
#ifndef MTASTS_CHECKS_SCORING_AGGREGATOR_H_
#define MTASTS_CHECKS_SCORING_AGGREGATOR_H_

#include <string>
#include <vector>

#include "mtasts/v1/report.pb.h"

namespace mtasts::checks::scoring {

// Completes `report` (not null) in place:
//  - checks: put in `check_order` (the registered checks, in report order;
//    unknown names kept, after them);
//    a known check that is missing is added as NOT_RUN; a check with no
//    verdict (INCONCLUSIVE, SKIPPED, NOT_RUN; UNSPECIFIED becomes NOT_RUN)
//    gets 0 points earned and possible.
//  - score, grade: round(earned / possible × 100) over checks with a verdict
//    (PASS, WARN, FAIL); 0 and GRADE_F when no check has one (the summary
//    then says that nothing could be judged).
//  - state: see StateOf().
//  - summary: 2 to 5 sentences: the state; the score with each judged
//    check's outcome (or that nothing could be judged); the most serious
//    problem; the checks NOT RUN, by name; those left out of the score.
//  - recommendations: the recommendations of domain_findings and of every
//    check's findings, plus a few that follow
//    from the state (deploy, move to enforce, publish TLS-RPT, withdraw),
//    most severe first, then in check order; each text once.
//  - suggested_policy: LF-terminated lines, one "mx:" per distinct MX host of
//    evidence.mx_hosts (never a wildcard), mode kept from a valid policy or
//    else "testing"; "mode: none" for a null MX or no MX records; empty when
//    the MX set is unknown.
//  - suggested_txt: "v=STSv1; id=<checked_at, YYYYMMDDHHMMSS UTC>", always a
//    fresh id; empty without checked_at.
//  Both suggestions are empty for a null-MX domain that publishes nothing:
//  it accepts no mail, so there is nothing for MTA-STS to protect.
// Reads the findings and evidence; never changes them. Idempotent.
void Aggregate(v1::DomainReport* report, const std::vector<std::string>& check_order);

// Grade of a 0-100 score: A >= 90, B >= 75, C >= 60, D >= 40, else F.
v1::Grade GradeForScore(int score);

// What a sending MTA would conclude, from the checks' statuses and evidence,
// first rule that applies:
//  1. ABSENT: the txt check reported TXT_MISSING or TXT_NAME_TOO_LONG.
//  2. BROKEN: txt FAILed for any other reason, or policy_fetch or
//     policy_content FAILed (even when txt was not run: what is published is
//     unusable either way).
//  3. ENFORCED / TESTING / DISABLED: txt PASSed (or WARNed) and policy_content
//     PASSed (or WARNed) with a valid policy in evidence.policy; from its mode.
//  4. UNDETERMINED otherwise: txt passed but no policy check reached a verdict
//     (the common case while policy checks are not built), or txt itself was
//     not run or was inconclusive. A good state needs every link verified; a
//     bad one needs only one broken link, hence the asymmetry with rule 2.
v1::MtaStsState StateOf(const v1::DomainReport& report);

}  // namespace mtasts::checks::scoring

#endif  // MTASTS_CHECKS_SCORING_AGGREGATOR_H_

// The public names of the generated message types: what the server sends
// (proto-loader's "__Output" shapes: camelCase fields, every field present,
// enums as names such as "GRADE_A", 64-bit integers as numbers).
import type { CheckResult__Output } from '../gen/mtasts/v1/CheckResult';
import type { CheckStatus__Output } from '../gen/mtasts/v1/CheckStatus';
import type { DomainReport__Output } from '../gen/mtasts/v1/DomainReport';
import type { Finding__Output } from '../gen/mtasts/v1/Finding';
import type { FindingCode__Output } from '../gen/mtasts/v1/FindingCode';
import type { FleetSummary__Output } from '../gen/mtasts/v1/FleetSummary';
import type { Grade__Output } from '../gen/mtasts/v1/Grade';
import type { MtaStsState__Output } from '../gen/mtasts/v1/MtaStsState';
import type { Severity__Output } from '../gen/mtasts/v1/Severity';
import type { Duration__Output } from '../gen/google/protobuf/Duration';

export type DomainReport = DomainReport__Output;
export type CheckResult = CheckResult__Output;
export type Finding = Finding__Output;
export type FleetSummary = FleetSummary__Output;
export type Grade = Grade__Output;
export type MtaStsState = MtaStsState__Output;
export type CheckStatus = CheckStatus__Output;
export type Severity = Severity__Output;
export type FindingCode = FindingCode__Output;
export type Duration = Duration__Output;

/** Check names the server knows (CheckOptions.checks). */
export type CheckName =
  | 'txt'
  | 'policy_fetch'
  | 'policy_content'
  | 'mx_match'
  | 'mx_tls'
  | 'tls_rpt'
  | 'dnssec';

/** Options of one check run; unset fields leave the server's defaults. */
export interface CheckRunOptions {
  /** Checks to run; unset or empty: all. An unknown name is INVALID_ARGUMENT. */
  checks?: readonly (CheckName | string)[];
  /** Time the server may spend on the domain (capped by its --check_timeout). */
  timeoutMs?: number;
  /** Do not connect to MX hosts on port 25 (mx_tls reports NOT_RUN). */
  skipMxProbe?: boolean;
}

/** One fleet entry: a domain, or a domain with a tag and its own options. */
export type FleetEntry = string | ({ domain: string; tag?: string } & CheckRunOptions);

/** One event of a fleet: a report, an entry the server could not check, or the summary (last). */
export type FleetEvent =
  | { kind: 'result'; tag: string; report: DomainReport }
  | {
      kind: 'error';
      tag: string;
      /** The domain as sent, at most 255 bytes (`domainCut` says when it was cut). */
      domain: string;
      domainCut: boolean;
      /** gRPC status code of the entry, e.g. status.INVALID_ARGUMENT. */
      code: number;
      message: string;
    }
  | { kind: 'summary'; summary: FleetSummary };

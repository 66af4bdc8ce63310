// Checks one domain and prints its grade, each check's status and the findings.
//
//   node dist/examples/check.js [--target=127.0.0.1:50051] [--ca-file=ca.pem
//        [--cert-file=client.pem --key-file=client.key] [--server-name=NAME]]
//        [--checks=txt,policy_fetch] example.com
import { parseArgs } from 'node:util';

import { MtaStsClient, MtaStsError, type TlsOptions } from '../src/index';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      target: { type: 'string', default: '127.0.0.1:50051' },
      'ca-file': { type: 'string' },
      'cert-file': { type: 'string' },
      'key-file': { type: 'string' },
      'server-name': { type: 'string' },
      checks: { type: 'string' },
    },
  });
  const domain = positionals[0];
  if (positionals.length !== 1 || domain === undefined) {
    console.error('usage: check.js [--target=HOST:PORT] [--ca-file=PEM ...] DOMAIN');
    return 2;
  }
  let tls: TlsOptions | undefined;
  if (values['ca-file'] !== undefined) {
    tls = { caFile: values['ca-file'] };
    if (values['cert-file'] !== undefined) tls.certFile = values['cert-file'];
    if (values['key-file'] !== undefined) tls.keyFile = values['key-file'];
    if (values['server-name'] !== undefined) tls.serverName = values['server-name'];
  }
  const client = new MtaStsClient(values.target!, tls ? { tls } : {});
  try {
    const report = await client.check(domain, values.checks ? { checks: values.checks.split(',') } : {});
    const grade = report.grade.replace('GRADE_', '');
    const state = report.state.replace('MTA_STS_STATE_', '');
    console.log(`${report.domain}: grade ${grade}, score ${report.score}, ${state}`);
    for (const finding of report.domainFindings) {
      console.log(`  [${finding.severity.replace('SEVERITY_', '')}] ${finding.code}: ${finding.title}`);
    }
    for (const check of report.checks) {
      console.log(`  ${check.check}: ${check.status.replace('CHECK_STATUS_', '')}`);
      for (const finding of check.findings) {
        console.log(`    [${finding.severity.replace('SEVERITY_', '')}] ${finding.code}: ${finding.title}`);
      }
    }
    if (report.actions.length > 0) console.log('What to do, most urgent first:');
    for (const action of report.actions) {
      console.log(`  [${action.priority.replace('SEVERITY_', '')}] ${action.action}`);
    }
    for (const practice of report.goodPractice) console.log(`  (good practice) ${practice}`);
    return 0;
  } catch (error) {
    if (!(error instanceof MtaStsError)) throw error;
    console.error(`${domain}: ${error.message}`);
    return 1;
  } finally {
    client.close();
  }
}

main().then((code) => {
  process.exitCode = code;
});

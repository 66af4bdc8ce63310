// Streams a file of domains (one "domain [tag]" per line, # comments; "-"
// for stdin) through one fleet stream and prints a line per domain and the
// summary. The file is read only as fast as the server takes entries.
//
//   node dist/examples/fleet.js [--target=127.0.0.1:50051] [--checks=txt,...] domains.txt
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

import { MtaStsClient, MtaStsError, statusName, type FleetEntry } from '../src/index';

async function* entries(path: string): AsyncGenerator<FleetEntry> {
  const input = path === '-' ? process.stdin : createReadStream(path);
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    const text = line.replace(/#.*/, '').trim();
    if (text === '') continue;
    const [domain = '', tag = ''] = text.split(/\s+/);
    yield { domain, tag };
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      target: { type: 'string', default: '127.0.0.1:50051' },
      checks: { type: 'string' },
    },
  });
  const path = positionals[0];
  if (positionals.length !== 1 || path === undefined) {
    console.error('usage: fleet.js [--target=HOST:PORT] [--checks=a,b] FILE|-');
    return 2;
  }
  const client = new MtaStsClient(values.target!);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  try {
    const options = values.checks ? { checks: values.checks.split(','), signal: controller.signal } : { signal: controller.signal };
    for await (const event of client.fleet(entries(path), options)) {
      switch (event.kind) {
        case 'result':
          console.log(`${event.tag}\t${event.report.domain}\t${event.report.grade.replace('GRADE_', '')}\t${event.report.score}`);
          break;
        case 'error':
          console.log(`${event.tag}\t${event.domain}\t${statusName(event.code)}\t${event.message}`);
          break;
        case 'summary': {
          const s = event.summary;
          console.log(`received ${s.received}, reported ${s.reported}, errors ${s.errors}, mean score ${s.meanScore.toFixed(1)}`);
          const grades = s.byGrade.map((g) => `${g.grade.replace('GRADE_', '')}=${g.count}`).join(' ');
          if (grades) console.log(`grades: ${grades}`);
          break;
        }
      }
    }
    return 0;
  } catch (error) {
    if (!(error instanceof MtaStsError)) throw error;
    console.error(`fleet: ${error.message}`);
    return 1;
  } finally {
    client.close();
  }
}

main().then((code) => {
  process.exitCode = code;
});

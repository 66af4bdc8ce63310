// The client against the real server: client_lab runs mtasts_server
// processes (plain, a second plain replica, TLS, mutual TLS) over fake DNS,
// HTTPS and SMTP servers on 127.0.0.1.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { MtaStsClient, MtaStsError, status, type FleetEvent, type FleetSummary } from '../src/index';
import { startLab, type Lab } from './lab';

const CHECKS = ['txt', 'policy_fetch', 'policy_content', 'mx_match', 'tls_rpt', 'mx_tls'];

let lab: Lab;
let client: MtaStsClient;

/** Drains a fleet; returns its events before the summary, and the summary. */
async function collect(events: AsyncIterable<FleetEvent>): Promise<{ items: FleetEvent[]; summary: FleetSummary }> {
  const items: FleetEvent[] = [];
  for await (const event of events) {
    if (event.kind === 'summary') return { items, summary: event.summary };
    items.push(event);
  }
  throw new Error('no summary');
}

function countOf<T extends { count: number }>(rows: T[], pick: (row: T) => boolean): number {
  return rows.filter(pick).reduce((sum, row) => sum + row.count, 0);
}

/** Resolves when `predicate` holds (checked every 20 ms), or rejects after `ms`. */
async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('against client_lab', () => {
  before(async () => {
    lab = await startLab();
    client = new MtaStsClient(lab.plaintext);
  });
  after(async () => {
    client?.close();
    await lab?.stop();
  });

  it('check(): a healthy domain is ENFORCED with every requested check PASS', async () => {
    const report = await client.check(lab.healthy, { checks: CHECKS, timeoutMs: 20_000 });
    assert.equal(report.domain, lab.healthy);
    assert.equal(report.state, 'MTA_STS_STATE_ENFORCED');
    for (const name of CHECKS) {
      const result = report.checks.find((c) => c.check === name);
      assert.ok(result, `no result for ${name}`);
      assert.equal(result.status, 'CHECK_STATUS_PASS', `${name}: ${result.summary}`);
    }
    assert.equal(report.checks.find((c) => c.check === 'dnssec')?.status, 'CHECK_STATUS_NOT_RUN');
    assert.ok(report.score >= 90, `score ${report.score}`);
    assert.equal(report.grade, 'GRADE_A');
    assert.equal(typeof report.duration?.seconds, 'number');
  });

  it('check(): a domain without _mta-sts is not ENFORCED', async () => {
    const report = await client.check(lab.noTxt, { checks: ['txt'], timeoutMs: 20_000 });
    assert.equal(report.state, 'MTA_STS_STATE_ABSENT');
    assert.notEqual(report.checks.find((c) => c.check === 'txt')?.status, 'CHECK_STATUS_PASS');
  });

  it('check(): an invalid domain rejects with MtaStsError INVALID_ARGUMENT', async () => {
    await assert.rejects(client.check('not a domain!'), (error: unknown) => {
      assert.ok(error instanceof MtaStsError);
      assert.ok(error instanceof Error);
      assert.equal(error.code, status.INVALID_ARGUMENT);
      assert.equal(error.codeName, 'INVALID_ARGUMENT');
      assert.ok(error.details.length > 0);
      assert.match(error.message, /^INVALID_ARGUMENT: /);
      return true;
    });
  });

  it('check(): an unknown check name is INVALID_ARGUMENT', async () => {
    await assert.rejects(client.check(lab.healthy, { checks: ['no_such_check'] }), { code: status.INVALID_ARGUMENT });
  });

  it('check(): an aborted signal cancels the call', async () => {
    const controller = new AbortController();
    const pending = client.check(lab.slow[0]!, { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    await assert.rejects(pending, { code: status.CANCELLED });
    assert.ok(Date.now() - started < 5_000);
  });

  it('fleet(): 100 domains, each answered exactly once, then the summary', async () => {
    const entries = lab.fleet.map((domain, i) => ({ domain, tag: `cust-${i}` }));
    const { items, summary } = await collect(client.fleet(entries, { checks: CHECKS, timeoutMs: 20_000 }));
    assert.equal(items.length, 100);
    const tags = new Map<string, number>();
    for (const item of items) {
      assert.equal(item.kind, 'result', JSON.stringify(item));
      if (item.kind !== 'result') continue;
      assert.equal(item.report.domain, lab.fleet[Number(item.tag.slice('cust-'.length))]);
      assert.equal(item.report.state, 'MTA_STS_STATE_ENFORCED');
      tags.set(item.tag, (tags.get(item.tag) ?? 0) + 1);
    }
    assert.equal(tags.size, 100);
    assert.ok([...tags.values()].every((n) => n === 1));
    assert.equal(summary.received, 100);
    assert.equal(summary.reported, 100);
    assert.equal(summary.errors, 0);
    assert.equal(countOf(summary.byState, (r) => r.state === 'MTA_STS_STATE_ENFORCED'), 100);
    assert.equal(countOf(summary.byGrade, (r) => r.grade === 'GRADE_A'), 100);
    assert.equal(summary.scoreHistogram.length, 10);
    assert.equal(summary.scoreHistogram[9], 100);
  });

  it('fleet(): an invalid entry is an error event and the stream goes on (async iterable source)', async () => {
    async function* source(): AsyncGenerator<string | { domain: string; tag: string }> {
      yield lab.healthy;
      yield { domain: 'not a domain!', tag: 'bad' };
      yield { domain: lab.fleet[0]!, tag: 'good' };
    }
    const { items, summary } = await collect(client.fleet(source(), { checks: CHECKS }));
    assert.equal(items.length, 3);
    const errors = items.filter((e) => e.kind === 'error');
    assert.equal(errors.length, 1);
    const error = errors[0]!;
    assert.ok(error.kind === 'error');
    assert.equal(error.tag, 'bad');
    assert.equal(error.domain, 'not a domain!');
    assert.equal(error.code, status.INVALID_ARGUMENT);
    assert.ok(error.message.length > 0);
    assert.deepEqual(summary.received, 3);
    assert.equal(summary.reported, 2);
    assert.equal(summary.errors, 1);
  });

  it('fleet(): cancel() with slow domains in flight ends promptly with CANCELLED', async () => {
    let pulled = 0;
    function* source(): Generator<string> {
      for (const domain of lab.slow) {
        pulled += 1;
        yield domain;
      }
    }
    const stream = client.fleet(source());
    const seen: FleetEvent[] = [];
    const consumed = (async () => {
      for await (const event of stream) seen.push(event);
    })();
    await until(() => pulled === lab.slow.length, 10_000, 'the entries to be sent');
    await new Promise((resolve) => setTimeout(resolve, 500)); // in flight at the server (DNS held 30 s)
    const cancelledAt = Date.now();
    stream.cancel();
    await assert.rejects(consumed, (error: unknown) => {
      assert.ok(error instanceof MtaStsError);
      assert.equal(error.code, status.CANCELLED);
      return true;
    });
    assert.ok(Date.now() - cancelledAt < 2_000, `took ${Date.now() - cancelledAt} ms`);
    assert.deepEqual(seen, []);
  });

  it('fleet(): an AbortSignal cancels the stream', async () => {
    const controller = new AbortController();
    const stream = client.fleet(lab.slow, { signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    await assert.rejects(collect(stream), { code: status.CANCELLED });
    assert.ok(Date.now() - started < 3_000);
  });

  it('fleet(): entries are pulled only as the stream drains, never all up front', async () => {
    const total = 1_000_000;
    let pulled = 0;
    let closed = false;
    function* source(): Generator<string> {
      try {
        for (let i = 0; i < total; i += 1) {
          pulled += 1;
          yield lab.slow[i % lab.slow.length]!;
        }
      } finally {
        closed = true;
      }
    }
    const stream = client.fleet(source());
    const consumed = collect(stream).catch((error: unknown) => error);
    // Wait until the writer stalls (no entry pulled for 500 ms): the server
    // holds its per-stream limit of slow domains in flight and stops
    // reading, and HTTP/2 flow control fills up to the sender.
    let last = -1;
    let still = 0;
    const end = Date.now() + 90_000;
    while (still < 2) {
      if (Date.now() > end) assert.fail(`the writer never stalled: ${pulled} entries pulled`);
      await new Promise((resolve) => setTimeout(resolve, 250));
      still = pulled === last ? still + 1 : 0;
      last = pulled;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const stalledAt = pulled;
    assert.ok(stalledAt > 100, `only ${stalledAt} entries pulled: the stream did not start`);
    assert.ok(stalledAt < total / 10, `${stalledAt} of ${total} entries pulled: read ahead of the stream`);
    assert.equal(pulled, stalledAt, 'still pulling while the stream is stalled');
    stream.cancel();
    const error = await consumed;
    assert.ok(error instanceof MtaStsError && error.code === status.CANCELLED, String(error));
    await until(() => closed, 2_000, "the entries' iterator to be closed");
    console.log(`# lazy fleet: ${stalledAt} entries pulled when the stream stalled`);
  });

  it('fleet(): leaving the loop early cancels the stream and closes the entries\' iterator', async () => {
    let closed = false;
    function* source(): Generator<string> {
      try {
        yield lab.healthy;
        yield* lab.slow;
      } finally {
        closed = true;
      }
    }
    const started = Date.now();
    for await (const event of client.fleet(source(), { checks: CHECKS })) {
      assert.equal(event.kind, 'result');
      break;
    }
    assert.ok(Date.now() - started < 10_000);
    await until(() => closed, 2_000, "the entries' iterator to be closed");
  });

  it('TLS: verifies the server with the lab CA', async () => {
    const tlsClient = new MtaStsClient(lab.tls, { tls: { caFile: lab.caFile, serverName: lab.serverName } });
    try {
      const report = await tlsClient.check(lab.healthy, { checks: CHECKS });
      assert.equal(report.state, 'MTA_STS_STATE_ENFORCED');
    } finally {
      tlsClient.close();
    }
  });

  it('mutual TLS: a client certificate from the lab CA is accepted', async () => {
    const mtlsClient = new MtaStsClient(lab.mtls, {
      tls: { caFile: lab.caFile, certFile: lab.clientCert, keyFile: lab.clientKey, serverName: lab.serverName },
    });
    try {
      const report = await mtlsClient.check(lab.healthy, { checks: CHECKS });
      assert.equal(report.state, 'MTA_STS_STATE_ENFORCED');
      const { summary } = await collect(mtlsClient.fleet([lab.healthy], { checks: CHECKS }));
      assert.equal(summary.reported, 1);
    } finally {
      mtlsClient.close();
    }
  });

  it('mutual TLS: without a client certificate the call fails', async () => {
    const noCert = new MtaStsClient(lab.mtls, {
      tls: { caFile: lab.caFile, serverName: lab.serverName },
      retry: false,
    });
    try {
      await assert.rejects(noCert.check(lab.healthy, { checks: CHECKS, deadlineMs: 10_000 }), (error: unknown) => {
        assert.ok(error instanceof MtaStsError);
        assert.equal(error.code, status.UNAVAILABLE, error.message);
        return true;
      });
    } finally {
      noCert.close();
    }
  });

  it('ipv4:a,b target: round_robin spreads calls over both addresses', async () => {
    // A counting TCP relay in front of each replica shows where calls go.
    const relays = await Promise.all([relay(lab.plaintext), relay(lab.plaintext2)]);
    try {
      const spread = async (loadBalancing: 'round_robin' | 'pick_first'): Promise<number[]> => {
        const target = `ipv4:${relays.map((r) => `127.0.0.1:${r.port}`).join(',')}`;
        const rr = new MtaStsClient(target, { loadBalancing });
        try {
          if (loadBalancing === 'round_robin') {
            // round_robin uses whichever addresses are connected: the first
            // calls can all go to the one that connected first. Measure once
            // both have carried a call (bounded: 5 s, 200 calls).
            const until = Date.now() + 5000;
            for (let i = 0; i < 200 && Date.now() < until && relays.some((r) => r.bytesDown === 0); i += 1) {
              await rr.check(lab.fleet[i % lab.fleet.length]!, { checks: ['txt'] });
            }
          }
          for (const r of relays) r.bytesDown = 0;
          for (let i = 0; i < 10; i += 1) await rr.check(lab.fleet[i]!, { checks: ['txt'] });
          return relays.map((r) => r.bytesDown);
        } finally {
          rr.close();
        }
      };
      const roundRobin = await spread('round_robin');
      const total = roundRobin[0]! + roundRobin[1]!;
      assert.ok(roundRobin.every((bytes) => bytes > total / 4), `round_robin bytes per address: ${roundRobin}`);
      // The control: pick_first sends every call to one address.
      const pickFirst = await spread('pick_first');
      assert.ok(Math.min(...pickFirst) < Math.max(...pickFirst) / 10, `pick_first bytes per address: ${pickFirst}`);
    } finally {
      for (const r of relays) r.close();
    }
  });

  it('examples: check.js prints grade, findings and actions; fleet.js prints a summary', async () => {
    const run = (script: string, args: string[]): Promise<string> =>
      new Promise((resolve, reject) => {
        execFile(process.execPath, [join(__dirname, '..', 'examples', script), ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
          if (error) reject(new Error(`${script}: ${error.message}\n${stderr}`));
          else resolve(stdout);
        });
      });
    const checked = await run('check.js', [`--target=${lab.plaintext}`, lab.noTxt]);
    assert.match(checked, new RegExp(`^${lab.noTxt.replace(/\./g, '\\.')}: grade [A-F], score \\d+, ABSENT$`, 'm'));
    assert.match(checked, /^  txt: (FAIL|WARN)$/m);
    assert.match(checked, /^    \[[A-Z]+\] [A-Z0-9_]+: \S/m);
    // No record: the report's actions say what to publish, most urgent first.
    assert.match(checked, /^What to do, most urgent first:\n  \[(HIGH|CRITICAL|MEDIUM)\] \S/m);
    const dir = mkdtempSync(join(tmpdir(), 'fleet-'));
    const file = join(dir, 'domains.txt');
    writeFileSync(file, `# customers\n${lab.fleet.slice(0, 5).map((d, i) => `${d} cust-${i}`).join('\n')}\nnot_a_domain! bad\n`);
    const fleet = await run('fleet.js', [`--target=${lab.plaintext}`, '--checks=txt,policy_fetch,policy_content,mx_match,tls_rpt', file]);
    assert.match(fleet, /^received 6, reported 5, errors 1/m);
    assert.match(fleet, /^bad\tnot_a_domain!\tINVALID_ARGUMENT/m);
  });
});

interface Relay {
  port: number;
  bytesDown: number;
  close(): void;
}

/** A TCP relay to `address` counting the bytes the server sends back. */
async function relay(address: string): Promise<Relay> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const sockets = new Set<Socket>();
  const state = { bytesDown: 0 };
  const server: Server = createServer((inbound) => {
    const outbound = connect(port, host);
    sockets.add(inbound).add(outbound);
    inbound.pipe(outbound);
    outbound.on('data', (chunk: Buffer) => {
      state.bytesDown += chunk.length;
    });
    outbound.pipe(inbound);
    const end = (): void => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', end).on('close', end);
    outbound.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const listening = server.address();
  if (listening === null || typeof listening === 'string') throw new Error('relay: no port');
  return {
    port: listening.port,
    get bytesDown() {
      return state.bytesDown;
    },
    set bytesDown(value: number) {
      state.bytesDown = value;
    },
    close() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

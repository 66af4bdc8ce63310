// The client against an in-process grpc-js server implementing the generated
// service definition: what the real server cannot be made to do on demand
// (answer RESOURCE_EXHAUSTED, count attempts), and the loader's shapes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';

import type { MtaStsCheckerHandlers } from '../gen/mtasts/v1/MtaStsChecker';
import { MtaStsClient, MtaStsError, status } from '../src/index';
import { mtastsV1 } from '../src/proto';

/** What the fake server does with each CheckDomain, by domain. */
const script = new Map<string, { failures: grpc.status[]; attempts: number }>();
let server: grpc.Server;
let target: string;

const handlers: MtaStsCheckerHandlers = {
  CheckDomain(call, callback) {
    const entry = script.get(call.request.domain);
    if (entry === undefined) {
      callback({ code: status.INVALID_ARGUMENT, details: `unknown domain ${call.request.domain}` });
      return;
    }
    entry.attempts += 1;
    const failure = entry.failures.shift();
    if (failure !== undefined) {
      callback({ code: failure, details: `scripted ${grpc.status[failure]}` });
      return;
    }
    callback(null, {
      domain: call.request.domain,
      score: 95,
      grade: 'GRADE_A',
      state: 'MTA_STS_STATE_ENFORCED',
      duration: { seconds: 3, nanos: 5 },
      evidence: { policy: { maxAge: 604800 } },
      checks: (call.request.options?.checks ?? []).map((check) => ({ check, status: 'CHECK_STATUS_PASS' })),
    });
  },
  StreamFleet(call) {
    call.on('data', () => {});
    call.on('end', () => call.end());
  },
};

function fake(domain: string, failures: grpc.status[]): { failures: grpc.status[]; attempts: number } {
  const entry = { failures, attempts: 0 };
  script.set(domain, entry);
  return entry;
}

describe('against an in-process fake', () => {
  before(async () => {
    server = new grpc.Server();
    server.addService(mtastsV1().MtaStsChecker.service, handlers);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    target = `127.0.0.1:${port}`;
  });
  after(() => {
    server.forceShutdown();
  });

  it('messages have the generated types\' runtime shape (loader options match the generator flags)', async () => {
    fake('shape.test', []);
    const client = new MtaStsClient(target);
    try {
      const report = await client.check('shape.test', { checks: ['txt'], timeoutMs: 1500 });
      assert.equal(report.grade, 'GRADE_A'); // enums as names (--enums=String)
      assert.equal(report.duration?.seconds, 3); // int64 as number (--longs=Number)
      assert.equal(report.evidence?.policy?.maxAge, 604800); // camelCase fields
      assert.deepEqual(report.recommendations, []); // defaults for unset fields (--defaults)
      assert.equal(report.summary, '');
      assert.deepEqual(report.checks.map((c) => [c.check, c.status]), [['txt', 'CHECK_STATUS_PASS']]);
    } finally {
      client.close();
    }
  });

  it('check() retries RESOURCE_EXHAUSTED and UNAVAILABLE with backoff, then succeeds', async () => {
    const entry = fake('busy.test', [status.RESOURCE_EXHAUSTED, status.UNAVAILABLE]);
    const client = new MtaStsClient(target, { retry: { initialBackoffMs: 50, maxBackoffMs: 200 } });
    try {
      const report = await client.check('busy.test');
      assert.equal(report.domain, 'busy.test');
      assert.equal(entry.attempts, 3);
    } finally {
      client.close();
    }
  });

  it('check() gives up after maxAttempts with the last status', async () => {
    const entry = fake('full.test', Array(10).fill(status.RESOURCE_EXHAUSTED));
    const client = new MtaStsClient(target, { retry: { maxAttempts: 3, initialBackoffMs: 20 } });
    try {
      await assert.rejects(client.check('full.test'), (error: unknown) => {
        assert.ok(error instanceof MtaStsError);
        assert.equal(error.code, status.RESOURCE_EXHAUSTED);
        assert.equal(error.details, 'scripted RESOURCE_EXHAUSTED');
        return true;
      });
      assert.equal(entry.attempts, 3);
    } finally {
      client.close();
    }
  });

  it('check() does not retry other codes, nor with retry: false', async () => {
    const invalid = fake('invalid.test', [status.INVALID_ARGUMENT]);
    const client = new MtaStsClient(target);
    const noRetry = new MtaStsClient(target, { retry: false });
    try {
      await assert.rejects(client.check('invalid.test'), { code: status.INVALID_ARGUMENT });
      assert.equal(invalid.attempts, 1);
      const busy = fake('busy2.test', [status.RESOURCE_EXHAUSTED]);
      await assert.rejects(noRetry.check('busy2.test'), { code: status.RESOURCE_EXHAUSTED });
      assert.equal(busy.attempts, 1);
    } finally {
      client.close();
      noRetry.close();
    }
  });

  it('check() with no server at the target fails UNAVAILABLE within its deadline', async () => {
    const probe = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      probe.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    probe.forceShutdown(); // a port nobody listens on
    const client = new MtaStsClient(`127.0.0.1:${port}`, { retry: { maxAttempts: 2, initialBackoffMs: 10 } });
    try {
      const started = Date.now();
      await assert.rejects(client.check('x.test', { deadlineMs: 5_000 }), (error: unknown) => {
        assert.ok(error instanceof MtaStsError);
        assert.ok(error.code === status.UNAVAILABLE || error.code === status.DEADLINE_EXCEEDED, error.message);
        return true;
      });
      assert.ok(Date.now() - started < 6_000);
    } finally {
      client.close();
    }
  });

  it('bad arguments are TypeError/RangeError before any call', async () => {
    const client = new MtaStsClient(target);
    try {
      await assert.rejects(client.check(42 as unknown as string), TypeError);
      await assert.rejects(client.check('a.test', { timeoutMs: -1 }), RangeError);
      assert.throws(() => client.fleet([], { deadlineMs: 0 }), RangeError);
      assert.throws(() => new MtaStsClient(target, { retry: { maxAttempts: 9 } }), RangeError);
      assert.throws(() => new MtaStsClient(target, { tls: { caFile: '/nonexistent/ca.pem' } }), /ENOENT/);
      assert.throws(
        () => new MtaStsClient(target, { tls: { caFile: '/dev/null', certFile: '/dev/null' } }),
        /certFile and tls.keyFile go together/,
      );
    } finally {
      client.close();
    }
  });

  it('fleet(): a malformed entry or a throwing source ends the iteration with that error', async () => {
    const client = new MtaStsClient(target);
    try {
      const bad = client.fleet(['a.test', 42 as unknown as string]);
      await assert.rejects(async () => {
        for await (const _ of bad) void _;
      }, /fleet entry 2 is neither a string/);
      function* throwing(): Generator<string> {
        yield 'a.test';
        throw new Error('source broke');
      }
      await assert.rejects(async () => {
        for await (const _ of client.fleet(throwing())) void _;
      }, /source broke/);
      // The fake answers nothing and ends the stream: no summary is an error.
      await assert.rejects(async () => {
        for await (const _ of client.fleet(['a.test'])) void _;
      }, { code: status.INTERNAL, message: /without a summary/ });
    } finally {
      client.close();
    }
  });

  it('a FleetStream cancelled before iteration, or iterated twice, says so', async () => {
    const client = new MtaStsClient(target);
    try {
      const stream = client.fleet(['a.test']);
      stream.cancel();
      await assert.rejects(async () => {
        for await (const _ of stream) void _;
      }, { code: status.CANCELLED });
      assert.throws(() => stream[Symbol.asyncIterator](), /only once/);
    } finally {
      client.close();
    }
  });
});

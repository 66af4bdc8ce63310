import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';

import type { CheckOptions } from '../gen/mtasts/v1/CheckOptions';
import type { FleetEvent__Output } from '../gen/mtasts/v1/FleetEvent';
import type { FleetRequest } from '../gen/mtasts/v1/FleetRequest';
import type { MtaStsCheckerClient } from '../gen/mtasts/v1/MtaStsChecker';
import { MtaStsError } from './errors';
import { mtastsV1 } from './proto';
import type { CheckRunOptions, DomainReport, FleetEntry, FleetEvent } from './types';

const SERVICE = 'mtasts.v1.MtaStsChecker';

/** TLS to the server; with `certFile` and `keyFile`, mutual TLS. */
export interface TlsOptions {
  /** PEM CA certificate(s) that verify the server. */
  caFile: string;
  /** PEM client certificate chain, leaf first (mutual TLS). */
  certFile?: string;
  /** Unencrypted PEM key of the client certificate (mutual TLS). */
  keyFile?: string;
  /** Name to verify in the server's certificate when it differs from the target's host. */
  serverName?: string;
}

/** Retries of check() on RESOURCE_EXHAUSTED and UNAVAILABLE, with exponential backoff. */
export interface RetryOptions {
  /** Attempts in all, first included: 2-5 (gRPC caps it at 5). Default 4. */
  maxAttempts?: number;
  /** Upper bound of the first backoff (each backoff is random up to its bound). Default 200 ms. */
  initialBackoffMs?: number;
  /** Cap of the backoff bound. Default 5000 ms. */
  maxBackoffMs?: number;
  /** Growth of the bound per attempt. Default 2. */
  backoffMultiplier?: number;
}

export interface ClientOptions {
  /** TLS options; without them the channel is plaintext. */
  tls?: TlsOptions;
  /**
   * How calls spread over the target's addresses (`dns:///host:port` with
   * several records, `ipv4:a:p,b:p`): "round_robin" (default) or "pick_first".
   */
  loadBalancing?: 'round_robin' | 'pick_first';
  /** Retry policy of check(), or false for none. StreamFleet is never retried. */
  retry?: RetryOptions | false;
  /** Deadline of a check() call that gives neither `deadlineMs` nor `timeoutMs`. Default 60 s. */
  defaultCheckDeadlineMs?: number;
  /** Extra grpc-js channel options (they win over the ones this class sets). */
  channelOptions?: grpc.ChannelOptions;
}

export interface CheckCallOptions extends CheckRunOptions {
  /**
   * Deadline of the whole call, retries included. Default: `timeoutMs` + 5 s
   * when `timeoutMs` is set, else the client's `defaultCheckDeadlineMs`.
   */
  deadlineMs?: number;
  /** Cancels the call (the promise rejects with CANCELLED). */
  signal?: AbortSignal;
}

export interface FleetOptions extends CheckRunOptions {
  /** Deadline of the whole stream. Default: none (a fleet may run for hours). */
  deadlineMs?: number;
  /** Cancels the stream, as FleetStream.cancel() does. */
  signal?: AbortSignal;
}

/**
 * A client of the MtaStsChecker service. One channel per instance; share it,
 * and close() it when done.
 *
 *   const client = new MtaStsClient('127.0.0.1:50051');
 *   const report = await client.check('example.com');
 */
export class MtaStsClient {
  readonly #stub: MtaStsCheckerClient;
  readonly #defaultCheckDeadlineMs: number;

  constructor(target: string, options: ClientOptions = {}) {
    const Stub = mtastsV1().MtaStsChecker;
    this.#defaultCheckDeadlineMs = positive(options.defaultCheckDeadlineMs ?? 60_000, 'defaultCheckDeadlineMs');
    const channelOptions: grpc.ChannelOptions = {
      'grpc.service_config': JSON.stringify(serviceConfig(options)),
      ...(options.tls?.serverName !== undefined
        ? {
            'grpc.ssl_target_name_override': options.tls.serverName,
            'grpc.default_authority': options.tls.serverName,
          }
        : {}),
      ...options.channelOptions,
    };
    this.#stub = new Stub(target, credentials(options.tls), channelOptions);
  }

  /**
   * Checks one domain. Rejects with MtaStsError: INVALID_ARGUMENT for a domain
   * that is not a host name or an unknown check name, DEADLINE_EXCEEDED,
   * CANCELLED (signal), RESOURCE_EXHAUSTED / UNAVAILABLE once retries are spent.
   */
  check(domain: string, options: CheckCallOptions = {}): Promise<DomainReport> {
    if (typeof domain !== 'string') {
      return Promise.reject(new TypeError('domain must be a string'));
    }
    let request;
    let deadlineMs;
    try {
      request = { domain, options: toProtoOptions(options) };
      deadlineMs =
        options.deadlineMs !== undefined
          ? positive(options.deadlineMs, 'deadlineMs')
          : options.timeoutMs !== undefined
            ? options.timeoutMs + 5_000
            : this.#defaultCheckDeadlineMs;
    } catch (error) {
      return Promise.reject(error);
    }
    const { signal } = options;
    if (signal?.aborted) {
      return Promise.reject(new MtaStsError(grpc.status.CANCELLED, 'cancelled before the call started'));
    }
    return new Promise<DomainReport>((resolve, reject) => {
      const onAbort = (): void => call.cancel();
      const call = this.#stub.CheckDomain(
        request,
        { deadline: Date.now() + deadlineMs },
        (error, report) => {
          signal?.removeEventListener('abort', onAbort);
          if (error) reject(MtaStsError.from(error));
          else if (report === undefined) reject(new MtaStsError(grpc.status.INTERNAL, 'empty response'));
          else resolve(report);
        },
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Checks a fleet of domains over one stream. Entries are read from
   * `entries` only as the stream can take them (HTTP/2 flow control: the
   * server stops reading while its per-stream limit of domains is in flight),
   * so a generator of millions of entries is never read ahead. Iterate the
   * result for the events, in completion order, ending with the summary.
   * Iteration throws MtaStsError when the server refuses or ends the stream
   * (CANCELLED after cancel()), or the error `entries` threw.
   */
  fleet(entries: Iterable<FleetEntry> | AsyncIterable<FleetEntry>, options: FleetOptions = {}): FleetStream {
    const defaults = toProtoOptions(options);
    const deadlineMs = options.deadlineMs === undefined ? undefined : positive(options.deadlineMs, 'deadlineMs');
    const open = (): grpc.ClientDuplexStream<FleetRequest, FleetEvent__Output> =>
      this.#stub.StreamFleet(deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs });
    return new FleetStream(open, entries, options, defaults);
  }

  /** Closes the channel: no call starts after it. Cancel the fleets you no longer need first. */
  close(): void {
    this.#stub.close();
  }
}

/**
 * The events of one fleet stream. Iterate it once (for await); the stream
 * opens when iteration starts. Leaving the loop early cancels the stream.
 */
export class FleetStream implements AsyncIterable<FleetEvent> {
  readonly #open: () => grpc.ClientDuplexStream<FleetRequest, FleetEvent__Output>;
  readonly #entries: Iterable<FleetEntry> | AsyncIterable<FleetEntry>;
  readonly #signal: AbortSignal | undefined;
  readonly #defaults: CheckOptions;
  #started = false;
  #cancelled = false;
  #call: grpc.ClientDuplexStream<FleetRequest, FleetEvent__Output> | undefined;

  /** @internal Made by MtaStsClient.fleet(). */
  constructor(
    open: () => grpc.ClientDuplexStream<FleetRequest, FleetEvent__Output>,
    entries: Iterable<FleetEntry> | AsyncIterable<FleetEntry>,
    options: FleetOptions,
    defaults: CheckOptions,
  ) {
    this.#open = open;
    this.#entries = entries;
    this.#signal = options.signal;
    this.#defaults = defaults;
  }

  /** Cancels the stream: iteration ends promptly with MtaStsError CANCELLED. */
  cancel(): void {
    this.#cancelled = true;
    this.#call?.cancel();
  }

  [Symbol.asyncIterator](): AsyncIterator<FleetEvent> {
    if (this.#started) throw new Error('a FleetStream can be iterated only once');
    this.#started = true;
    return this.#run();
  }

  async *#run(): AsyncGenerator<FleetEvent, void, undefined> {
    const signal = this.#signal;
    if (this.#cancelled || signal?.aborted) {
      throw new MtaStsError(grpc.status.CANCELLED, 'fleet cancelled before it started');
    }
    const call = this.#open();
    this.#call = call;
    // grpc-js reports a failed call as an 'error' event, also after the loop
    // below has stopped listening (cancel after an early break): keep one
    // listener so that event never goes unhandled.
    call.on('error', () => {});
    const onAbort = (): void => this.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    const stopPump = new AbortController();
    let pumpError: { error: unknown } | undefined;
    void pump(call, this.#entries, this.#defaults, stopPump.signal).catch((error: unknown) => {
      pumpError = { error };
      call.cancel();
    });
    let finished = false;
    let sawSummary = false;
    try {
      for await (const raw of call as AsyncIterable<FleetEvent__Output>) {
        const event = toEvent(raw);
        if (event === undefined) continue; // an event kind newer than this client
        if (event.kind === 'summary') sawSummary = true;
        yield event;
      }
      finished = true;
    } catch (error) {
      if (pumpError !== undefined) throw pumpError.error;
      throw MtaStsError.from(error);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      stopPump.abort();
      if (!finished) call.cancel();
    }
    if (!sawSummary) {
      throw new MtaStsError(grpc.status.INTERNAL, 'the fleet stream ended without a summary');
    }
  }
}

/**
 * Writes entries to the stream as it drains, then half-closes it. Stops (and
 * closes the entries' iterator) when `stop` fires or the call ends. Throws
 * what the entries' iterator threw, or a TypeError for a malformed entry.
 */
async function pump(
  call: grpc.ClientDuplexStream<FleetRequest, FleetEvent__Output>,
  entries: Iterable<FleetEntry> | AsyncIterable<FleetEntry>,
  defaults: CheckOptions,
  stop: AbortSignal,
): Promise<void> {
  let callDone = false;
  call.once('status', () => {
    callDone = true;
  });
  const iterator: Iterator<FleetEntry> | AsyncIterator<FleetEntry> =
    Symbol.asyncIterator in entries
      ? (entries as AsyncIterable<FleetEntry>)[Symbol.asyncIterator]()
      : (entries as Iterable<FleetEntry>)[Symbol.iterator]();
  let exhausted = false;
  try {
    let position = 0;
    while (!stop.aborted && !callDone) {
      const next = await iterator.next();
      if (stop.aborted || callDone) break;
      if (next.done === true) {
        exhausted = true;
        call.end();
        return;
      }
      position += 1;
      if (!call.write(toRequest(next.value, defaults, position))) {
        await drained(call, stop);
      }
    }
  } finally {
    if (!exhausted) await iterator.return?.();
  }
}

/** Resolves when the stream can take more, or stops, or the call ends. */
function drained(call: grpc.ClientDuplexStream<FleetRequest, FleetEvent__Output>, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('status', done);
      call.off('close', done);
      stop.removeEventListener('abort', done);
      resolve();
    };
    call.on('drain', done);
    call.on('status', done);
    call.on('close', done);
    stop.addEventListener('abort', done);
  });
}

function toRequest(entry: FleetEntry, defaults: CheckOptions, position: number): FleetRequest {
  if (typeof entry === 'string') return { domain: entry, tag: '', options: defaults };
  if (entry === null || typeof entry !== 'object' || typeof entry.domain !== 'string') {
    throw new TypeError(`fleet entry ${position} is neither a string nor {domain: string, tag?: string}`);
  }
  if (entry.tag !== undefined && typeof entry.tag !== 'string') {
    throw new TypeError(`fleet entry ${position}: tag must be a string`);
  }
  const own = toProtoOptions(entry);
  return {
    domain: entry.domain,
    tag: entry.tag ?? '',
    options: {
      checks: own.checks !== undefined && own.checks.length > 0 ? own.checks : defaults.checks,
      timeout: own.timeout ?? defaults.timeout,
      skipMxProbe: entry.skipMxProbe ?? defaults.skipMxProbe,
    },
  };
}

function toEvent(raw: FleetEvent__Output): FleetEvent | undefined {
  switch (raw.event) {
    case 'result':
      if (!raw.result?.report) return undefined;
      return { kind: 'result', tag: raw.result.tag, report: raw.result.report };
    case 'error':
      if (!raw.error) return undefined;
      return {
        kind: 'error',
        tag: raw.error.tag,
        domain: raw.error.domain,
        domainCut: raw.error.domainCut,
        code: raw.error.code,
        message: raw.error.message,
      };
    case 'summary':
      if (!raw.summary) return undefined;
      return { kind: 'summary', summary: raw.summary };
    default:
      return undefined;
  }
}

function toProtoOptions(options: CheckRunOptions): CheckOptions {
  const result: CheckOptions = {};
  if (options.checks !== undefined) {
    if (!Array.isArray(options.checks) || options.checks.some((c) => typeof c !== 'string')) {
      throw new TypeError('checks must be an array of check names');
    }
    result.checks = [...options.checks];
  }
  if (options.timeoutMs !== undefined) {
    const ms = positive(options.timeoutMs, 'timeoutMs');
    result.timeout = { seconds: Math.floor(ms / 1000), nanos: Math.round((ms % 1000) * 1e6) };
  }
  if (options.skipMxProbe !== undefined) result.skipMxProbe = Boolean(options.skipMxProbe);
  return result;
}

function positive(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number of milliseconds, not ${String(value)}`);
  }
  return value;
}

function credentials(tls: TlsOptions | undefined): grpc.ChannelCredentials {
  if (tls === undefined) return grpc.credentials.createInsecure();
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new TypeError('tls.certFile and tls.keyFile go together (mutual TLS)');
  }
  const ca = readFileSync(tls.caFile);
  if (tls.certFile !== undefined && tls.keyFile !== undefined) {
    return grpc.credentials.createSsl(ca, readFileSync(tls.keyFile), readFileSync(tls.certFile));
  }
  return grpc.credentials.createSsl(ca);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

/** The service config: load balancing over every address, retries of CheckDomain. */
function serviceConfig(options: ClientOptions): object {
  const config: { loadBalancingConfig: object[]; methodConfig?: object[] } = {
    loadBalancingConfig: [{ [options.loadBalancing ?? 'round_robin']: {} }],
  };
  if (options.retry !== false) {
    const retry = options.retry ?? {};
    const maxAttempts = retry.maxAttempts ?? 4;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 2 || maxAttempts > 5) {
      throw new RangeError('retry.maxAttempts must be an integer from 2 to 5');
    }
    config.methodConfig = [
      {
        name: [{ service: SERVICE, method: 'CheckDomain' }],
        retryPolicy: {
          maxAttempts,
          initialBackoff: seconds(positive(retry.initialBackoffMs ?? 200, 'retry.initialBackoffMs')),
          maxBackoff: seconds(positive(retry.maxBackoffMs ?? 5_000, 'retry.maxBackoffMs')),
          backoffMultiplier: positive(retry.backoffMultiplier ?? 2, 'retry.backoffMultiplier'),
          retryableStatusCodes: ['RESOURCE_EXHAUSTED', 'UNAVAILABLE'],
        },
      },
    ];
  }
  return config;
}

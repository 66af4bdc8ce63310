// Starts //tests/clientlab:client_lab (real mtasts_server processes over fake
// DNS, HTTPS and SMTP servers on 127.0.0.1) and reads the one JSON line that
// describes it. Paths come from the environment the Bazel test sets:
// MTASTS_CLIENT_LAB, MTASTS_SERVER, MTASTS_PKI.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Lab {
  plaintext: string;
  plaintext2: string;
  tls: string;
  mtls: string;
  serverName: string;
  caFile: string;
  clientCert: string;
  clientKey: string;
  healthy: string;
  noTxt: string;
  fleet: string[];
  slow: string[];
  /** Closes the lab's stdin (it stops its servers and exits) and waits for it. */
  stop(): Promise<void>;
}

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set (run through bazel test //clients/ts:ts_client_test)`);
  return value;
}

export async function startLab(): Promise<Lab> {
  const child = spawn(env('MTASTS_CLIENT_LAB'), [`--server=${env('MTASTS_SERVER')}`, `--pki=${env('MTASTS_PKI')}`], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await firstLine(child, 120_000);
  const raw = JSON.parse(line) as Record<string, unknown>;
  const str = (key: string): string => {
    const value = raw[key];
    if (typeof value !== 'string') throw new Error(`client_lab line: ${key} is not a string: ${line}`);
    return value;
  };
  const list = (key: string): string[] => {
    const value = raw[key];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new Error(`client_lab line: ${key}`);
    return value as string[];
  };
  return {
    plaintext: str('plaintext'),
    plaintext2: str('plaintext2'),
    tls: str('tls'),
    mtls: str('mtls'),
    serverName: str('server_name'),
    caFile: str('ca_file'),
    clientCert: str('client_cert'),
    clientKey: str('client_key'),
    healthy: str('healthy'),
    noTxt: str('no_txt'),
    fleet: list('fleet'),
    slow: list('slow'),
    stop: () => stopChild(child),
  };
}

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`client_lab printed no line within ${timeoutMs} ms`));
    }, timeoutMs);
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      resolve(line);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`client_lab exited (${code ?? signal}) before its line`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin!.end();
  });
}

import { status, type Metadata, type ServiceError } from '@grpc/grpc-js';

/**
 * A failed call: `code` is the gRPC status (compare with `status` from this
 * package, e.g. `status.INVALID_ARGUMENT`), `details` the server's message.
 */
export class MtaStsError extends Error {
  override readonly name = 'MtaStsError';
  /** The gRPC status code. */
  readonly code: status;
  /** The status message as the server (or the local gRPC library) sent it. */
  readonly details: string;
  /** Trailing metadata of the call, when there was a call. */
  readonly metadata: Metadata | undefined;

  constructor(code: status, details: string, metadata?: Metadata, options?: { cause?: unknown }) {
    super(`${statusName(code)}: ${details}`, options);
    this.code = code;
    this.details = details;
    this.metadata = metadata;
  }

  /** The code's name, e.g. "INVALID_ARGUMENT". */
  get codeName(): string {
    return statusName(this.code);
  }

  /** Wraps what grpc-js threw or reported; an MtaStsError passes through. */
  static from(error: unknown): MtaStsError {
    if (error instanceof MtaStsError) return error;
    if (isServiceError(error)) {
      return new MtaStsError(error.code, error.details, error.metadata, { cause: error });
    }
    const text = error instanceof Error ? error.message : String(error);
    return new MtaStsError(status.UNKNOWN, text, undefined, { cause: error });
  }
}

/** The name of a gRPC status code, e.g. statusName(3) === "INVALID_ARGUMENT". */
export function statusName(code: number): string {
  const name = (status as unknown as Record<number, string | undefined>)[code];
  return name ?? `CODE_${code}`;
}

function isServiceError(error: unknown): error is ServiceError {
  return (
    error instanceof Error &&
    typeof (error as Partial<ServiceError>).code === 'number' &&
    typeof (error as Partial<ServiceError>).details === 'string'
  );
}

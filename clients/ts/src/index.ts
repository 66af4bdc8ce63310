// @mtasts/client: a Node client of the mtasts.v1 MtaStsChecker service.
export { status } from '@grpc/grpc-js';
export { MtaStsClient, FleetStream } from './client';
export type { CheckCallOptions, ClientOptions, FleetOptions, RetryOptions, TlsOptions } from './client';
export { MtaStsError, statusName } from './errors';
export { LOADER_OPTIONS, PROTO_DIR } from './proto';
export type * from './types';

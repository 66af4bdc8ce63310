// Loads the mtasts.v1 API at run time from the .proto files shipped in the
// package (proto/), typed by the definitions proto-loader-gen-types generated
// into gen/ at build time.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'node:path';

import type { ProtoGrpcType } from '../gen/service';

/** Where the package's copy of proto/mtasts/v1/*.proto lives. */
export const PROTO_DIR = path.resolve(__dirname, '..', '..', 'proto');

/**
 * The loader options. They decide the runtime shape of every message and must
 * match the flags scripts/build.mjs gives proto-loader-gen-types: camelCase
 * field names, 64-bit integers as numbers, enums as their names, unset fields
 * as their defaults, and a virtual field naming the set member of each oneof.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

let loaded: ProtoGrpcType | undefined;

/** The mtasts.v1 package: message types and the MtaStsChecker client constructor. */
export function mtastsV1(): ProtoGrpcType['mtasts']['v1'] {
  if (loaded === undefined) {
    const definition = protoLoader.loadSync('mtasts/v1/service.proto', LOADER_OPTIONS);
    // The documented way to attach the generated types to the loaded package.
    loaded = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return loaded.mtasts.v1;
}

// Builds the package: copies the API's .proto files into proto/ (loaded at
// run time by @grpc/proto-loader), generates their TypeScript types into gen/
// with proto-loader-gen-types, and compiles src/, gen/, examples/ and test/
// with tsc into dist/. Nothing it writes is checked in.
//
//   node scripts/build.mjs            (npm run build)
//
// MTASTS_PROTO_DIR overrides where the API is read from (default: the
// repository's proto/ two levels up).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const protoSrc = resolve(process.env.MTASTS_PROTO_DIR ?? join(pkgDir, '..', '..', 'proto'));
const require = createRequire(join(pkgDir, 'package.json'));

function run(script, args) {
  const result = spawnSync(process.execPath, [script, ...args], { cwd: pkgDir, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build: ${script} ${args.join(' ')} failed (${result.status ?? result.signal})`);
    process.exit(1);
  }
}

// 1. The .proto files, shipped in the package.
const apiDir = join(protoSrc, 'mtasts', 'v1');
const protos = readdirSync(apiDir).filter((name) => name.endsWith('.proto')).sort();
if (protos.length === 0) {
  console.error(`build: no .proto files in ${apiDir}`);
  process.exit(1);
}
rmSync(join(pkgDir, 'proto'), { recursive: true, force: true });
mkdirSync(join(pkgDir, 'proto', 'mtasts', 'v1'), { recursive: true });
for (const name of protos) {
  cpSync(join(apiDir, name), join(pkgDir, 'proto', 'mtasts', 'v1', name));
}

// 2. Types of service.proto and everything it imports (config.proto, the
// server's own configuration, is not part of the client). These flags must
// match LOADER_OPTIONS in src/proto.ts (the runtime shape of messages);
// test/unit.test.ts checks that they do.
rmSync(join(pkgDir, 'gen'), { recursive: true, force: true });
const loaderPkg = require.resolve('@grpc/proto-loader/package.json');
const genTypes = join(dirname(loaderPkg), require(loaderPkg).bin['proto-loader-gen-types']);
run(genTypes, [
  '--longs=Number', '--enums=String', '--defaults', '--oneofs', '--includeComments',
  '--grpcLib=@grpc/grpc-js', '-I', 'proto', '-O', 'gen',
  'mtasts/v1/service.proto',
]);

// 3. Compile.
rmSync(join(pkgDir, 'dist'), { recursive: true, force: true });
const tscPkg = require.resolve('typescript/package.json');
run(join(dirname(tscPkg), require(tscPkg).bin.tsc), ['-p', 'tsconfig.json']);

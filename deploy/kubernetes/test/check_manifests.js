// Checks rendered Kubernetes manifests offline (no cluster here):
//   node check_manifests.js --rendered=FILE --server=MTASTS_SERVER --image=NAME:TAG
//        [--image-any-registry] [--tmp=DIR]
// 1. every object against the Kubernetes schemas (kubernetes-models);
// 2. no unknown field: the schema validators read every field they know, so a
//    field they never read is one the API server would drop or refuse;
// 3. cross-references: probe ports are container ports, Service selectors
//    match the pod labels and target declared ports, HPA/PDB/NetworkPolicy
//    point at the Deployment's pods, volumes exist, the image is the one
//    scripts/image.sh builds, terminationGracePeriodSeconds exceeds the
//    config's shutdown_grace, and the container's args (with its mounted
//    ConfigMap) pass the server's own --check_config without a warning.
// Prints one line per problem and exits 1 if there is any.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');
const YAML = require('yaml');

const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
  if (!m) throw new Error(`bad argument ${a}`);
  return [m[1], m[2] === undefined ? true : m[2]];
}));
const problems = [];
const problem = (where, text) => problems.push(`${where}: ${text}`);

const docs = YAML.parseAllDocuments(fs.readFileSync(args.rendered, 'utf8'))
  .map((d) => d.toJS())
  .filter((d) => d !== null);
if (docs.length === 0) problem(args.rendered, 'no objects rendered');

// --- 1 and 2: schema and unknown fields ------------------------------------

// A read-tracking view of `value`: records every path the validator reads.
function tracked(value, at, seen) {
  if (value === null || typeof value !== 'object') return value;
  return new Proxy(value, {
    get(target, key) {
      if (typeof key === 'symbol') return target[key];
      seen.add(`${at}/${key}`);
      return tracked(target[key], `${at}/${key}`, seen);
    },
    ownKeys(target) {
      // A map-typed field (labels, data, resources): every key is allowed.
      for (const key of Object.keys(target)) seen.add(`${at}/${key}`);
      return Reflect.ownKeys(target);
    },
  });
}

function unknownFields(value, at, seen, out) {
  if (value === null || typeof value !== 'object') return;
  for (const key of Object.keys(value)) {
    const here = `${at}/${key}`;
    if (!seen.has(here)) {
      out.push(here);
      continue;
    }
    unknownFields(value[key], here, seen, out);
  }
}

for (const obj of docs) {
  const where = `${obj.kind}/${obj.metadata && obj.metadata.name}`;
  let Model;
  try {
    const mod = require(`kubernetes-models/${obj.apiVersion}/${obj.kind}`);
    Model = mod[obj.kind];
  } catch (e) {
    problem(where, `unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`);
    continue;
  }
  const seen = new Set(['/apiVersion', '/kind']);
  try {
    Model.prototype.validate.call(tracked(obj, '', seen));
  } catch (e) {
    problem(where, `schema: ${e.message}`);
    continue;
  }
  const unknown = [];
  unknownFields(obj, '', seen, unknown);
  for (const field of unknown) problem(where, `unknown field ${field}`);
}

// --- 3: cross-references ---------------------------------------------------

const byKind = (kind) => docs.filter((d) => d.kind === kind);
const matches = (selector, labels) =>
  Object.entries(selector || {}).every(([k, v]) => labels[k] === v);
const deployments = byKind('Deployment');
if (deployments.length !== 1) problem('manifests', `want 1 Deployment, got ${deployments.length}`);
const deployment = deployments[0] || { metadata: {}, spec: { template: { metadata: {}, spec: {} } } };
const dname = `Deployment/${deployment.metadata.name}`;
const pod = deployment.spec.template;
const podLabels = (pod.metadata && pod.metadata.labels) || {};
const containers = pod.spec.containers || [];
const server = containers.find((c) => c.name === 'server');
if (!server) problem(dname, 'no container named server');

if (!matches(deployment.spec.selector && deployment.spec.selector.matchLabels, podLabels) ||
    Object.keys((deployment.spec.selector || {}).matchLabels || {}).length === 0) {
  problem(dname, 'spec.selector does not match the pod template labels');
}

// The image: scripts/image.sh's name; an overlay may put a registry in front
// and its own tag (--image-any-registry).
for (const c of containers) {
  const want = args.image;
  if (args['image-any-registry']) {
    const repo = (ref) => ref.replace(/[:@][^/]*$/, '').split('/').pop();
    if (repo(c.image || '') !== repo(want)) {
      problem(dname, `container ${c.name} image ${c.image} is not ${repo(want)} (scripts/image.sh)`);
    }
  } else if (c.image !== want) {
    problem(dname, `container ${c.name} image ${c.image} is not ${want} (scripts/image.sh)`);
  }
}

// Probes: a numeric port or a port name the container declares.
const portOf = (c, port) => (c.ports || []).find((p) =>
  (typeof port === 'number' ? p.containerPort === port : p.name === port));
for (const c of containers) {
  for (const kind of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
    const probe = c[kind];
    if (!probe) {
      problem(dname, `container ${c.name} has no ${kind}`);
      continue;
    }
    const action = probe.grpc || probe.tcpSocket || probe.httpGet;
    if (!action) continue;  // exec
    if (!portOf(c, action.port)) {
      problem(dname, `container ${c.name} ${kind} port ${action.port} is not a container port`);
    }
  }
}

// Services select the pods and target ports the pods declare.
for (const svc of byKind('Service')) {
  const where = `Service/${svc.metadata.name}`;
  const sel = svc.spec.selector || {};
  if (Object.keys(sel).length === 0 || !matches(sel, podLabels)) {
    problem(where, `selector ${JSON.stringify(sel)} does not match the pod labels`);
  }
  for (const p of svc.spec.ports || []) {
    const target = p.targetPort === undefined ? p.port : p.targetPort;
    if (!containers.some((c) => portOf(c, target))) {
      problem(where, `port ${p.name} targets ${target}, which no container declares`);
    }
  }
}
for (const kind of ['PodDisruptionBudget', 'NetworkPolicy']) {
  for (const o of byKind(kind)) {
    const sel = kind === 'NetworkPolicy' ? o.spec.podSelector : o.spec.selector;
    if (!sel || !sel.matchLabels || !matches(sel.matchLabels, podLabels)) {
      problem(`${kind}/${o.metadata.name}`, 'selector does not match the pod labels');
    }
  }
}
for (const np of byKind('NetworkPolicy')) {
  const ports = (np.spec.ingress || []).flatMap((r) => r.ports || []);
  for (const p of (server && server.ports) || []) {
    if (!ports.some((q) => q.port === p.containerPort || q.port === p.name)) {
      problem(`NetworkPolicy/${np.metadata.name}`, `ingress does not admit port ${p.name}`);
    }
  }
}
for (const hpa of byKind('HorizontalPodAutoscaler')) {
  const ref = hpa.spec.scaleTargetRef;
  if (ref.kind !== 'Deployment' || ref.name !== deployment.metadata.name) {
    problem(`HorizontalPodAutoscaler/${hpa.metadata.name}`, `scales ${ref.kind}/${ref.name}`);
  }
}

// Volumes: every mount names a volume; every ConfigMap volume a rendered
// ConfigMap (Secrets are created apart, see the example overlay).
const volumes = Object.fromEntries((pod.spec.volumes || []).map((v) => [v.name, v]));
for (const c of containers) {
  for (const m of c.volumeMounts || []) {
    if (!volumes[m.name]) problem(dname, `mount ${m.mountPath} names no volume ${m.name}`);
  }
}
const configMaps = Object.fromEntries(byKind('ConfigMap').map((c) => [c.metadata.name, c]));
for (const v of Object.values(volumes)) {
  if (v.configMap && !configMaps[v.configMap.name]) {
    problem(dname, `volume ${v.name} names ConfigMap ${v.configMap.name}, which is not rendered`);
  }
}

// The server's own dry run of the container's args, with each mounted
// ConfigMap's files and, for a mounted Secret, a test certificate and key.
if (server && args.server) {
  const root = fs.mkdtempSync(path.join(args.tmp || require('os').tmpdir(), 'pod-'));
  let tlsMade = false;
  const mountPaths = [];
  for (const m of server.volumeMounts || []) {
    const v = volumes[m.name];
    if (!v) continue;
    const dir = path.join(root, m.mountPath);
    fs.mkdirSync(dir, { recursive: true });
    mountPaths.push([m.mountPath, dir]);
    if (v.configMap && configMaps[v.configMap.name]) {
      for (const [file, text] of Object.entries(configMaps[v.configMap.name].data || {})) {
        fs.writeFileSync(path.join(dir, file), text);
      }
    } else if (v.secret) {
      // Stand-in for the operator's Secret: self-signed, its own CA.
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt',
        'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=mtasts', '-days', '1',
        '-keyout', path.join(dir, 'tls.key'), '-out', path.join(dir, 'tls.crt')],
      { stdio: 'ignore' });
      fs.copyFileSync(path.join(dir, 'tls.crt'), path.join(dir, 'ca.crt'));
      tlsMade = true;
    }
  }
  // Longest mount path first, so /etc/mtasts-tls is not read as /etc/mtasts.
  mountPaths.sort((a, b) => b[0].length - a[0].length);
  const argv = (server.args || []).map((a) => {
    for (const [mount, dir] of mountPaths) {
      const at = a.indexOf(`=${mount}/`);
      if (at >= 0) return a.slice(0, at + 1) + dir + a.slice(at + 1 + mount.length);
    }
    return a;
  });
  const run = spawnSync(args.server, [...argv, '--check_config'], { encoding: 'utf8', timeout: 60000 });
  if (run.status !== 0 || run.stdout.trim() !== 'config ok') {
    problem(dname, `server --check_config refused the container's args ${JSON.stringify(server.args)}` +
      ` (exit ${run.status}): ${(run.stderr || '').trim()}`);
  } else if (/warning/.test(run.stderr || '')) {
    // Accepted but self-defeating (e.g. a check_timeout that cuts the policy
    // fetch short): the shipped configuration must not need excuses.
    problem(dname, `server --check_config warned: ${run.stderr.trim()}`);
  }
  // The drain the config allows must fit in the pod's termination grace.
  const configArg = argv.find((a) => a.startsWith('--config='));
  if (configArg) {
    const text = fs.readFileSync(configArg.slice('--config='.length), 'utf8');
    const m = /shutdown_grace\s*\{\s*seconds:\s*(\d+)/.exec(text);
    const grace = m ? Number(m[1]) : 10;  // the server's default
    const pgrace = pod.spec.terminationGracePeriodSeconds === undefined
      ? 30 : pod.spec.terminationGracePeriodSeconds;
    if (pgrace <= grace) {
      problem(dname, `terminationGracePeriodSeconds ${pgrace} is not above the config's ` +
        `shutdown_grace ${grace}s: Kubernetes would SIGKILL calls still draining`);
    }
  } else {
    problem(dname, 'the server container has no --config');
  }
  fs.rmSync(root, { recursive: true, force: true });
  if (tlsMade) process.stderr.write('(TLS files stood in by a test certificate)\n');
}

for (const p of problems) console.log(p);
console.log(problems.length === 0 ? `ok: ${docs.length} objects` : `${problems.length} problem(s)`);
process.exit(problems.length === 0 ? 0 : 1);

#!/usr/bin/env bash
# //deploy/kubernetes:manifests_test: renders the base and the example overlay
# with `kubectl kustomize` and checks them (check_manifests.js), then plants
# one mistake at a time in a copy of the base and requires the check to fail
# with the right message: so the check is known to catch each of them.
set -euo pipefail
root="${TEST_SRCDIR:?}/${TEST_WORKSPACE:?}"
tmp="${TEST_TMPDIR:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
# A missing prerequisite skips on a developer's machine and fails under CI.
source "$root/tests/fakes/prerequisite.sh"
command -v kubectl >/dev/null || missing "kubectl is not installed (scripts/ensure_deps.sh installs kubernetes-client)"
command -v node >/dev/null || missing "node is not installed (scripts/ensure_deps.sh installs it)"
command -v openssl >/dev/null || missing "openssl is not installed"
[[ -f "$root/deploy/kubernetes/test/node_modules/kubernetes-models/package.json" ]] ||
  missing "deploy/kubernetes/test/node_modules is not installed (scripts/ensure_deps.sh runs npm ci)"

server="$root/server/mtasts_server"
image=$("$root/scripts/image.sh" --print-name)
[[ "$image" == *:* ]] || fail "scripts/image.sh --print-name gave '$image'"
# Plain files (kustomize refuses files that resolve outside its root, and
# runfiles are symlinks), and node_modules where node looks for it.
cp -RL "$root/deploy/kubernetes" "$tmp/k8s"
checker="$tmp/k8s/test/check_manifests.js"

render() { kubectl kustomize "$1" 2>"$tmp/kustomize.err" || fail "kustomize $1: $(cat "$tmp/kustomize.err")"; }
check() { node "$checker" --server="$server" --image="$image" --tmp="$tmp" "$@"; }

render "$tmp/k8s/base" >"$tmp/base.yaml"
check --rendered="$tmp/base.yaml" || fail "the base does not pass"
render "$tmp/k8s/overlays/example" >"$tmp/overlay.yaml"
check --rendered="$tmp/overlay.yaml" --image-any-registry || fail "the example overlay does not pass"
grep -q 'image: registry.example.com/mtasts/mtasts-server:' "$tmp/overlay.yaml" ||
  fail "the overlay did not rewrite the image"

# mutate NAME EXPECTED FILE SED-SCRIPT: the base with one mistake must fail,
# saying EXPECTED.
mutate() {
  local name="$1" want="$2" file="$3" script="$4"
  rm -rf "$tmp/mut" && cp -R "$tmp/k8s/base" "$tmp/mut"
  sed -i -e "$script" "$tmp/mut/$file"
  cmp -s "$tmp/k8s/base/$file" "$tmp/mut/$file" && fail "$name: the mutation changed nothing"
  render "$tmp/mut" >"$tmp/mut.yaml"
  local status=0
  check --rendered="$tmp/mut.yaml" >"$tmp/out" 2>&1 || status=$?
  [[ $status -eq 1 ]] || fail "$name: check exited $status, want 1: $(cat "$tmp/out")"
  grep -qF -- "$want" "$tmp/out" || fail "$name: output lacks '$want': $(cat "$tmp/out")"
  echo "caught $name: $(grep -F -- "$want" "$tmp/out" | head -1)"
}
mutate "unknown field" "unknown field /spec/template/spec/containers/0/imagePullPolicyy" \
  deployment.yaml 's/^\( *\)imagePullPolicy: IfNotPresent/&\n\1imagePullPolicyy: Always/'
mutate "unknown top-level spec field" "unknown field /spec/replica" \
  deployment.yaml 's/^  replicas: 3/&\n  replica: 3/'
mutate "schema type" "schema:" deployment.yaml 's/^  replicas: 3/  replicas: three/'
mutate "probe port" "readinessProbe port 50052 is not a container port" \
  deployment.yaml '/readinessProbe:/,/service:/s/port: 50051/port: 50052/'
mutate "Service selector" "Service/mtasts-headless: selector" \
  services.yaml '0,/^  selector:/b;0,/component: server/s/component: server/component: srv/'
mutate "Service target port" "port grpc targets grpcx" \
  services.yaml '0,/targetPort: grpc/s/targetPort: grpc/targetPort: grpcx/'
mutate "config the server refuses" 'unknown check "mx_tsl"' \
  config.textproto '$a weights { key: "mx_tsl" value: 10 }'
mutate "config syntax" "server --check_config refused" \
  config.textproto 's/max_inflight: 2000/max_inflight: two/'
mutate "image name" "image mtasts-checker:latest is not $image" \
  deployment.yaml "s|image: $image|image: mtasts-checker:latest|"
mutate "termination grace" "terminationGracePeriodSeconds 15 is not above" \
  deployment.yaml 's/terminationGracePeriodSeconds: 90/terminationGracePeriodSeconds: 15/'
mutate "config the server warns about" "server --check_config warned" \
  config.textproto 's/^limits {/limits {\n  check_timeout { seconds: 15 }/'
mutate "server flag" "server --check_config refused" \
  deployment.yaml 's/--metrics_listen=0.0.0.0:9464/--metrics_listen=[::]:9464/'
echo PASS

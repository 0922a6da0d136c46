#!/usr/bin/env bash
# Build the fakeservices image with podman and test it for real:
#   build -> image config (non-root USER, ENTRYPOINT, HEALTHCHECK, EXPOSE, FAKESERVICES_HOST)
#   -> run with ports published on 127.0.0.1 -> bounded wait for /__admin/health
#   -> the image's own HEALTHCHECK (podman healthcheck run) -> SMTP mail, Stripe payment and
#   Twilio SMS from the host with the real clients, read back through /__admin
#   -> container process is not root -> podman stop: exit 0 within 3 s
#   -> a bad FAKESERVICES_* value exits 2 with one line.
#
# No Docker engine here: podman stands in. Set it up first (docker/README.md): install
# podman and build the local base image localhost/python-base:bookworm.
#
# Variables:
#   PYTHON            interpreter with the test extra (stripe, twilio, httpx); default .venv/bin/python
#   PYTHON_IMAGE      base image; default localhost/python-base:bookworm if present, else python:3.12-slim
#   IMAGE             tag to build; default localhost/fakeservices:test
#   FAKESERVICES_TEST_NETWORK  "publish" (default: -p 127.0.0.1:PORT:4010 ...) or "host"
#                     (--network host, free loopback ports passed as FAKESERVICES_HTTP_PORT/SMTP_PORT)
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s.%N)

log() { printf '== %s\n' "$*"; }
fail() {
  printf 'test-image: FAILED: %s\n' "$*" >&2
  exit 1
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }

conf=/etc/containers/containers.conf.d-sandbox
if [ -z "${CONTAINERS_CONF:-}" ] && [ -f "$conf" ]; then
  export CONTAINERS_CONF=$conf
fi
command -v podman >/dev/null || fail "podman not found: set it up first (docker/README.md, Testing the image)"
podman=(podman)
if command -v runc >/dev/null; then
  podman+=(--runtime runc)
fi

if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
"$PYTHON" -c 'import httpx, stripe, twilio' 2>/dev/null \
  || fail "$PYTHON lacks the test extra (httpx, stripe, twilio): set PYTHON"
check() { "$PYTHON" docker/check_image.py "$@"; }

if [ -z "${PYTHON_IMAGE:-}" ]; then
  if "${podman[@]}" image exists localhost/python-base:bookworm; then
    PYTHON_IMAGE=localhost/python-base:bookworm
  else
    PYTHON_IMAGE=python:3.12-slim
  fi
fi
IMAGE=${IMAGE:-localhost/fakeservices:test}
network=${FAKESERVICES_TEST_NETWORK:-publish}
name=fakeservices-test-$$
tmp=$(mktemp -d)
cleanup() {
  "${podman[@]}" rm -f -t 0 "$name" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# ---- build ----
log "build $IMAGE from $PYTHON_IMAGE"
build_args=(build --format docker --network host --build-arg "PYTHON_IMAGE=$PYTHON_IMAGE" -t "$IMAGE")
# The CA bundle is what lets pip inside the build reach the package index on these machines.
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  build_args+=(--volume /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
fi
t=$(date +%s.%N)
"${podman[@]}" "${build_args[@]}" . >"$tmp/build.log" 2>&1 || {
  tail -40 "$tmp/build.log" >&2
  fail "podman build"
}
build_s=$(elapsed "$t")
size=$("${podman[@]}" image inspect --format '{{.Size}}' "$IMAGE")
base_size=$("${podman[@]}" image inspect --format '{{.Size}}' "$PYTHON_IMAGE" 2>/dev/null || echo 0)
awk -v s="$size" -v b="$base_size" -v t="$build_s" 'BEGIN {
  printf "build: %s s; image size: %.1f MB (base %.1f MB, fakeservices adds %.1f MB)\n",
    t, s / 1e6, b / 1e6, (s - b) / 1e6 }'
"${podman[@]}" image inspect "$IMAGE" | check config

# ---- run ----
read -r http_port smtp_port < <(check free-ports 2 | paste -sd' ')
run_args=(run -d --name "$name")
if [ "$network" = host ]; then
  # The container shares the host's network: bind loopback only, on free ports, via the variables.
  run_args+=(--network host -e FAKESERVICES_HOST=127.0.0.1
    -e "FAKESERVICES_HTTP_PORT=$http_port" -e "FAKESERVICES_SMTP_PORT=$smtp_port")
else
  # The image's defaults (0.0.0.0:4010 and :2525 inside), published on the host's loopback only.
  run_args+=(-p "127.0.0.1:$http_port:4010" -p "127.0.0.1:$smtp_port:2525")
fi
url="http://127.0.0.1:$http_port"
log "run ($network network): $url smtp://127.0.0.1:$smtp_port"
# podman without systemd complains that it cannot schedule periodic healthchecks; it runs anyway.
"${podman[@]}" "${run_args[@]}" -e FAKESERVICES_SMS_STEP_SECONDS=0 "$IMAGE" >/dev/null 2>"$tmp/run.err" || {
  cat "$tmp/run.err" >&2
  fail "podman run"
}

t=$(date +%s.%N)
deadline=$((SECONDS + 30))
until check health "$url" 2>/dev/null; do
  state=$("${podman[@]}" container inspect --format '{{.State.Status}}' "$name")
  if [ "$state" != running ]; then
    "${podman[@]}" logs "$name" >&2 || true
    fail "container is $state before becoming healthy"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    "${podman[@]}" logs "$name" >&2 || true
    fail "no healthy answer from $url/__admin/health within 30 s"
  fi
  sleep 0.2 # bounded poll: at most 30 s in all
done
echo "healthy after $(elapsed "$t") s: $("${podman[@]}" logs "$name" 2>&1 | grep -m1 '^fakeservices ')"
"${podman[@]}" healthcheck run "$name" >/dev/null 2>"$tmp/hc.err" || {
  cat "$tmp/hc.err" >&2
  fail "the image's HEALTHCHECK reports unhealthy"
}
echo "HEALTHCHECK (podman healthcheck run): healthy"

# ---- traffic from the host with the real clients, read back through the admin API ----
log "traffic"
check traffic "$url" "$smtp_port" || fail "traffic checks"

# ---- non-root ----
uid=$("${podman[@]}" exec "$name" id -u)
[ "$uid" != 0 ] || fail "podman exec id -u is 0"
proc_user=$("${podman[@]}" top "$name" user huser | awk 'NR == 2 { print $1 "/" $2 }')
case "$proc_user" in
  root/* | 0/* | "") fail "the server process runs as '$proc_user'" ;;
esac
echo "non-root: exec id -u = $uid; server process user/host user = $proc_user"

# ---- stop ----
t=$(date +%s.%N)
"${podman[@]}" stop -t 10 "$name" >/dev/null 2>"$tmp/stop.err" || {
  cat "$tmp/stop.err" >&2
  fail "podman stop"
}
stop_s=$(elapsed "$t")
code=$("${podman[@]}" container inspect --format '{{.State.ExitCode}}' "$name")
echo "stop: podman stop took $stop_s s, exit code $code"
echo "last log lines:"
"${podman[@]}" logs --tail 3 "$name" 2>&1 | sed 's/^/  | /'
[ "$code" = 0 ] || fail "container exited $code on SIGTERM"
awk -v s="$stop_s" 'BEGIN { exit !(s < 3) }' || fail "podman stop took $stop_s s (limit 3 s)"

# ---- a bad variable: exit 2 with one line naming the option and the variable ----
set +e
"${podman[@]}" run --rm --no-healthcheck -e FAKESERVICES_HTTP_PORT=99999 "$IMAGE" >"$tmp/bad.out" 2>&1
code=$?
set -e
line=$(grep -m1 '^fakeservices: error: .*FAKESERVICES_HTTP_PORT' "$tmp/bad.out" || true)
[ "$code" = 2 ] && [ -n "$line" ] \
  || fail "FAKESERVICES_HTTP_PORT=99999 gave exit $code: $(cat "$tmp/bad.out")"
echo "bad variable: exit 2: $line"

echo "test-image: OK in $(elapsed "$started") s (build $build_s s, stop $stop_s s)"

#!/usr/bin/env bash
# Reference deploy hook: retags the staging-validated image onto the target tag, restarts the service
# and health-checks it. It never builds an image. The defaults target staging, so a bare run is safe.
#
# Environment:
#   SOURCE_IMAGE     image to deploy (required), e.g. registry.example:5000/orchestrator:1.4.2
#   TARGET_TAG       tag the service runs (default orchestrator:staging)
#   SERVICE          container to restart (default orchestrator-staging)
#   HEALTH_URL       URL that returns a 2xx status when healthy (default http://127.0.0.1:8501/health)
#   HEALTH_RETRIES   maximum health requests (default 10)
#   HEALTH_INTERVAL  seconds between health requests (default 2)
#   HEALTH_DEADLINE  seconds for the whole health check (default 60)
#   HEALTH_TIMEOUT   seconds for one health request (default 5)
#   STEP_TIMEOUT     seconds for each docker command (default 300)
#   DRY_RUN=1        checks that SOURCE_IMAGE exists, prints the plan and changes nothing
#
# Exit codes: 0 healthy, 1 invalid settings or a failed step, 2 health check failed.
set -euo pipefail

readonly IMAGE_PATTERN='^[A-Za-z0-9][A-Za-z0-9._/:@-]*$'
readonly CONTAINER_PATTERN='^[A-Za-z0-9][A-Za-z0-9_.-]*$'

SOURCE_IMAGE=${SOURCE_IMAGE:-}
TARGET_TAG=${TARGET_TAG:-orchestrator:staging}
SERVICE=${SERVICE:-orchestrator-staging}
HEALTH_URL=${HEALTH_URL:-http://127.0.0.1:8501/health}
HEALTH_RETRIES=${HEALTH_RETRIES:-10}
HEALTH_INTERVAL=${HEALTH_INTERVAL:-2}
HEALTH_DEADLINE=${HEALTH_DEADLINE:-60}
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-5}
STEP_TIMEOUT=${STEP_TIMEOUT:-300}
DRY_RUN=${DRY_RUN:-0}

log() {
  printf '%s deploy-hook: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"
}

fail() {
  log "FAILED: $1"
  exit "${2:-1}"
}

expect_match() {
  [[ $2 =~ $3 ]] || fail "$1=\"$2\" is invalid: expected $4"
}

validate_settings() {
  [[ -n $SOURCE_IMAGE ]] || fail 'SOURCE_IMAGE is not set: expected the image to deploy, e.g. orchestrator:1.4.2'
  expect_match SOURCE_IMAGE "$SOURCE_IMAGE" "$IMAGE_PATTERN" 'an image reference such as orchestrator:1.4.2'
  expect_match TARGET_TAG "$TARGET_TAG" "$IMAGE_PATTERN" 'an image tag such as orchestrator:production'
  expect_match SERVICE "$SERVICE" "$CONTAINER_PATTERN" 'a container name such as orchestrator-staging'
  expect_match HEALTH_URL "$HEALTH_URL" '^https?://[^[:space:]]+$' 'an http or https URL'
  local name
  for name in HEALTH_RETRIES HEALTH_INTERVAL HEALTH_DEADLINE HEALTH_TIMEOUT STEP_TIMEOUT; do
    expect_match "$name" "${!name}" '^[1-9][0-9]{0,5}$' 'a whole number from 1 to 999999'
  done
}

# Runs one docker step under STEP_TIMEOUT and exits 1 when it fails.
docker_step() {
  local description=$1
  shift
  log "step: $description"
  if ! timeout -k 10 "$STEP_TIMEOUT" docker "$@" >/dev/null; then
    fail "$description (docker $1 exited non-zero or timed out after ${STEP_TIMEOUT}s)"
  fi
}

# Requests HEALTH_URL until it returns a 2xx status, HEALTH_RETRIES requests are spent or HEALTH_DEADLINE passes.
check_health() {
  local started=$SECONDS attempt status remaining request_timeout
  for ((attempt = 1; attempt <= HEALTH_RETRIES; attempt++)); do
    remaining=$((HEALTH_DEADLINE - (SECONDS - started)))
    ((remaining > 0)) || break
    request_timeout=$((HEALTH_TIMEOUT < remaining ? HEALTH_TIMEOUT : remaining))
    status=$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time "$request_timeout" -- "$HEALTH_URL") ||
      true
    [[ $status != 000 ]] || status=''
    if [[ $status == 2[0-9][0-9] ]]; then
      log "healthy: $HEALTH_URL returned $status on attempt $attempt"
      return 0
    fi
    log "health attempt $attempt/$HEALTH_RETRIES: $HEALTH_URL returned ${status:-no response}"
    remaining=$((HEALTH_DEADLINE - (SECONDS - started)))
    ((attempt < HEALTH_RETRIES && remaining > HEALTH_INTERVAL)) || break
    sleep "$HEALTH_INTERVAL"
  done
  return 1
}

main() {
  validate_settings
  log "plan: retag $SOURCE_IMAGE as $TARGET_TAG, restart $SERVICE, check $HEALTH_URL" \
    "(at most $HEALTH_RETRIES requests every ${HEALTH_INTERVAL}s within ${HEALTH_DEADLINE}s)"
  docker_step "inspect image $SOURCE_IMAGE (it must exist: this hook never builds)" image inspect "$SOURCE_IMAGE"
  if [[ $DRY_RUN == 1 ]]; then
    log "dry run: would tag $SOURCE_IMAGE as $TARGET_TAG, restart $SERVICE and check $HEALTH_URL; nothing changed"
    exit 0
  fi
  docker_step "tag $SOURCE_IMAGE as $TARGET_TAG" tag "$SOURCE_IMAGE" "$TARGET_TAG"
  docker_step "restart $SERVICE" restart "$SERVICE"
  check_health || fail "health check of $HEALTH_URL failed" 2
  log "deployed $SOURCE_IMAGE as $TARGET_TAG"
}

main

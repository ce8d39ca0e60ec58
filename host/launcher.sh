#!/usr/bin/env bash
# Starts a deploy hook as a detached process on the deploy host, once per deploy id, and reports on it.
#
#   launcher.sh launch --state-dir DIR --deploy-id ID [--timeout SECONDS] [--lock NAME] [--env KEY=VALUE]... -- HOOK [ARG]...
#   launcher.sh poll   --state-dir DIR --deploy-id ID [--tail LINES] [--wait-ms MILLISECONDS]
#   launcher.sh kill   --state-dir DIR --deploy-id ID
#
# Each command prints one JSON line on stdout. Exit codes: 0 success, 64 usage error, 70 internal error.
# The record of a launch is the folder DIR/ID: its mkdir is the lock that makes a launch happen once.
# Files in it: launched_at, pid ("PID START_TICKS"), hook.log, and exit_code, which appears only
# complete because it is written to exit_code.tmp and renamed.
set -Eeuo pipefail

readonly EX_USAGE=64
readonly EX_SOFTWARE=70
readonly NAME_PATTERN='^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'
readonly ENV_KEY_PATTERN='^[A-Za-z_][A-Za-z0-9_]*$'
readonly PID_WAIT_STEPS=200
readonly KILL_GRACE_SECONDS=10
readonly MISSING_PID_GRACE_SECONDS=30
readonly DEFAULT_TAIL_LINES=20
readonly MAX_TAIL_LINES=200
readonly MAX_TAIL_LINE_BYTES=500
readonly MAX_WAIT_MS=60000
readonly WAIT_STEP_SECONDS=0.1

trap 'exit "$EX_SOFTWARE"' ERR

usage_error() {
  printf 'launcher: %s\n' "$1" >&2
  printf 'usage: launcher.sh launch|poll|kill --state-dir DIR --deploy-id ID [options] (see the header of launcher.sh)\n' >&2
  exit "$EX_USAGE"
}

internal_error() {
  printf 'launcher: %s\n' "$1" >&2
  exit "$EX_SOFTWARE"
}

# Prints a string as a JSON string literal. Bytes are handled one by one, so any input stays valid JSON text.
json_string() {
  local LC_ALL=C
  local text=$1 code char escaped
  text=${text//'\'/'\\'}
  text=${text//'"'/'\"'}
  text=${text//$'\n'/'\n'}
  text=${text//$'\r'/'\r'}
  text=${text//$'\t'/'\t'}
  for code in {1..31}; do
    printf -v char "\\x$(printf '%02x' "$code")"
    [[ $text == *"$char"* ]] || continue
    printf -v escaped '\\u%04x' "$code"
    text=${text//"$char"/"$escaped"}
  done
  printf '"%s"' "$text"
}

# Sets STATE_DIR, DEPLOY_ID, TIMEOUT, LOCK_NAME, TAIL_LINES, ENV_ITEMS and HOOK_ARGV from the arguments.
parse_options() {
  STATE_DIR='' DEPLOY_ID='' TIMEOUT='' LOCK_NAME='' TAIL_LINES=$DEFAULT_TAIL_LINES WAIT_MS=0
  ENV_ITEMS=() HOOK_ARGV=()
  while (($# > 0)); do
    case $1 in
      --state-dir | --deploy-id | --timeout | --lock | --env | --tail | --wait-ms)
        (($# >= 2)) || usage_error "option $1 expects a value"
        case $1 in
          --state-dir) STATE_DIR=$2 ;;
          --deploy-id) DEPLOY_ID=$2 ;;
          --timeout) TIMEOUT=$2 ;;
          --lock) LOCK_NAME=$2 ;;
          --env) ENV_ITEMS+=("$2") ;;
          --tail) TAIL_LINES=$2 ;;
          --wait-ms) WAIT_MS=$2 ;;
        esac
        shift 2
        ;;
      --)
        shift
        HOOK_ARGV=("$@")
        return 0
        ;;
      *) usage_error "unknown argument $(json_string "$1"); expected an option or -- before the hook" ;;
    esac
  done
}

validate_common() {
  [[ $STATE_DIR == /* ]] || usage_error "--state-dir $(json_string "$STATE_DIR") is invalid: expected an absolute path"
  [[ $DEPLOY_ID =~ $NAME_PATTERN ]] ||
    usage_error "--deploy-id $(json_string "$DEPLOY_ID") is invalid: expected letters, digits, '.', '_' and '-' (at most 128)"
  RECORD_DIR="$STATE_DIR/$DEPLOY_ID"
}

validate_launch() {
  local item
  ((${#HOOK_ARGV[@]} > 0)) || usage_error 'missing hook: expected -- followed by the hook and its arguments'
  [[ -z $TIMEOUT || $TIMEOUT =~ ^[1-9][0-9]{0,6}$ ]] ||
    usage_error "--timeout $(json_string "$TIMEOUT") is invalid: expected a whole number of seconds from 1 to 9999999"
  [[ -z $LOCK_NAME || $LOCK_NAME =~ $NAME_PATTERN ]] ||
    usage_error "--lock $(json_string "$LOCK_NAME") is invalid: expected letters, digits, '.', '_' and '-'"
  for item in "${ENV_ITEMS[@]}"; do
    [[ $item == *=* && ${item%%=*} =~ $ENV_KEY_PATTERN ]] ||
      usage_error "--env $(json_string "${item:0:60}") is invalid: expected KEY=VALUE with KEY such as SOURCE_IMAGE"
  done
}

# Prints field 22 of /proc/PID/stat (start time in clock ticks since boot), or nothing when PID is gone.
# A zombie counts as gone. The command name in field 2 may contain spaces and ')', so fields are read after the last ')'.
start_ticks_of() {
  local stat
  local -a fields
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  read -r -a fields <<<"${stat##*) }"
  if [[ ${fields[0]} != [ZX] ]]; then
    printf '%s' "${fields[19]}"
  fi
}

# Writes VALUE to FILE through a temporary file and a rename, so readers never see a partial file.
write_atomic() {
  printf '%s\n' "$2" >"$1.tmp"
  mv -f -- "$1.tmp" "$1"
}

# Sets PID and PID_START_TICKS from the record. Both are empty when the hook wrapper has not started.
read_pid_file() {
  PID='' PID_START_TICKS=''
  [[ -f $RECORD_DIR/pid ]] || return 0
  read -r PID PID_START_TICKS <"$RECORD_DIR/pid" || true
}

print_record() {
  local launched_now=$1 launched_at=''
  read_pid_file
  [[ -f $RECORD_DIR/launched_at ]] && launched_at=$(<"$RECORD_DIR/launched_at")
  printf '{"deployId":%s,"pid":%s,"pidStartTicks":%s,"launchedAt":%s,' \
    "$(json_string "$DEPLOY_ID")" "${PID:-0}" "$(json_string "$PID_START_TICKS")" "$(json_string "$launched_at")"
  printf '"recordDir":%s,"exitFile":%s,"logFile":%s,"launchedNow":%s}\n' \
    "$(json_string "$RECORD_DIR")" "$(json_string "$RECORD_DIR/exit_code")" "$(json_string "$RECORD_DIR/hook.log")" \
    "$launched_now"
}

# Waits a bounded time (PID_WAIT_STEPS of 50 ms) for the hook wrapper to record its pid.
wait_for_pid_file() {
  local step
  for ((step = 0; step < PID_WAIT_STEPS; step++)); do
    [[ -s $RECORD_DIR/pid ]] && return 0
    sleep 0.05
  done
  return 1
}

command_launch() {
  parse_options "$@"
  validate_common
  validate_launch
  mkdir -p -- "$STATE_DIR/locks" || internal_error "cannot create state folder $STATE_DIR; check its permissions"

  if ! mkdir -- "$RECORD_DIR" 2>/dev/null; then
    [[ -d $RECORD_DIR ]] || internal_error "cannot create record folder $RECORD_DIR; check the permissions of $STATE_DIR"
    wait_for_pid_file || true
    print_record false
    return 0
  fi

  # A dropped ssh connection sends SIGHUP. These handlers let the launch finish, and exec resets them in the hook.
  trap ': signal received during launch' HUP INT TERM
  write_atomic "$RECORD_DIR/launched_at" "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
  local self
  self=$(readlink -f -- "${BASH_SOURCE[0]}")
  local -a run_argv=(run --state-dir "$STATE_DIR" --deploy-id "$DEPLOY_ID")
  [[ -n $TIMEOUT ]] && run_argv+=(--timeout "$TIMEOUT")
  [[ -n $LOCK_NAME ]] && run_argv+=(--lock "$LOCK_NAME")
  local item
  for item in "${ENV_ITEMS[@]}"; do run_argv+=(--env "$item"); done
  run_argv+=(-- "${HOOK_ARGV[@]}")
  setsid --fork "$BASH" "$self" "${run_argv[@]}" </dev/null >>"$RECORD_DIR/hook.log" 2>&1
  wait_for_pid_file ||
    internal_error "the hook wrapper did not record its pid in $RECORD_DIR/pid within 10 s: see $RECORD_DIR/hook.log"
  print_record true
}

# Internal: the detached session leader. Records its pid, runs the hook and records the hook's exit code.
command_run() {
  parse_options "$@"
  validate_common
  validate_launch
  trap 'printf "launcher: SIGTERM received, waiting for the hook to exit\n"' TERM
  write_atomic "$RECORD_DIR/pid" "$$ $(start_ticks_of $$)"

  local item
  for item in "${ENV_ITEMS[@]}"; do export "$item"; done
  local -a command=()
  [[ -n $TIMEOUT ]] && command+=(timeout -k 10 "$TIMEOUT")
  # --close keeps the lock out of the hook's children: a service the hook restarts outlives it and must not hold the lock.
  [[ -n $LOCK_NAME ]] && command+=(flock --close "$STATE_DIR/locks/$LOCK_NAME.lock")
  command+=("${HOOK_ARGV[@]}")

  printf 'launcher: %s starting deploy %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$DEPLOY_ID"
  trap - ERR
  set +e
  "${command[@]}"
  local exit_code=$?
  set -e
  printf 'launcher: %s hook exited with code %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$exit_code"
  write_atomic "$RECORD_DIR/exit_code" "$exit_code"
}

# Prints the exit code when the exit file contains exactly one decimal number and a newline.
read_exit_code() {
  local content
  [[ -f $RECORD_DIR/exit_code ]] || return 1
  content=$(
    cat -- "$RECORD_DIR/exit_code"
    printf x
  )
  [[ $content =~ ^([0-9]{1,3})$'\n'x$ ]] || return 1
  printf '%s' "$((10#${BASH_REMATCH[1]}))"
}

print_log_tail() {
  local first=1 line
  printf '['
  if [[ -f $RECORD_DIR/hook.log ]]; then
    while IFS= read -r line || [[ -n $line ]]; do
      ((first)) || printf ','
      first=0
      json_string "$line"
    done < <(tail -n "$TAIL_LINES" -- "$RECORD_DIR/hook.log" | tr -d '\000' | cut -b "1-$MAX_TAIL_LINE_BYTES")
  fi
  printf ']'
}

print_state() {
  local state=$1 extra=${2:-}
  printf '{"state":"%s"%s,"logTail":%s}\n' "$state" "$extra" "$(print_log_tail)"
}

# Sets OBSERVED_STATE and OBSERVED_EXIT_CODE from the record files and /proc.
observe() {
  OBSERVED_EXIT_CODE=''
  if [[ ! -d $RECORD_DIR ]]; then
    OBSERVED_STATE=MISSING
    return 0
  fi
  if OBSERVED_EXIT_CODE=$(read_exit_code); then
    OBSERVED_STATE=DONE
    return 0
  fi
  read_pid_file
  if [[ -z $PID ]]; then
    OBSERVED_STATE=VANISHED
    is_recent_launch && OBSERVED_STATE=RUNNING
    return 0
  fi
  if [[ -n $PID_START_TICKS && $(start_ticks_of "$PID") == "$PID_START_TICKS" ]]; then
    OBSERVED_STATE=RUNNING
    return 0
  fi
  # The wrapper may have written the exit file between the first check and the pid check.
  if OBSERVED_EXIT_CODE=$(read_exit_code); then
    OBSERVED_STATE=DONE
  else
    OBSERVED_STATE=VANISHED
  fi
}

# Succeeds while a launch without a pid file may still be starting its wrapper.
is_recent_launch() {
  local created now
  created=$(stat -c %Y -- "$RECORD_DIR") || return 1
  now=$(date +%s)
  ((now - created < MISSING_PID_GRACE_SECONDS))
}

command_poll() {
  parse_options "$@"
  validate_common
  [[ $TAIL_LINES =~ ^[0-9]{1,3}$ ]] && ((TAIL_LINES <= MAX_TAIL_LINES)) ||
    usage_error "--tail $(json_string "$TAIL_LINES") is invalid: expected a number of lines from 0 to $MAX_TAIL_LINES"
  [[ $WAIT_MS =~ ^[0-9]{1,5}$ ]] && ((WAIT_MS <= MAX_WAIT_MS)) ||
    usage_error "--wait-ms $(json_string "$WAIT_MS") is invalid: expected milliseconds from 0 to $MAX_WAIT_MS"
  observe
  # A long poll: while the hook runs, look again every 0.1 s for up to --wait-ms, so the caller
  # learns of the exit within a tenth of a second instead of at its next poll.
  local deadline_us=$((${EPOCHREALTIME/./} + WAIT_MS * 1000))
  while [[ $OBSERVED_STATE == RUNNING ]] && ((${EPOCHREALTIME/./} < deadline_us)); do
    sleep "$WAIT_STEP_SECONDS"
    observe
  done
  case $OBSERVED_STATE in
    MISSING) printf '{"state":"MISSING","logTail":[]}\n' ;;
    DONE) print_state DONE ",\"exitCode\":$OBSERVED_EXIT_CODE" ;;
    *) print_state "$OBSERVED_STATE" ;;
  esac
}

# Prints "PID PGID" for each live process in session $1. The builtin read keeps the /proc scan fork-free.
session_processes() {
  local stat_file stat
  local -a fields
  for stat_file in /proc/[0-9]*/stat; do
    read -r stat 2>/dev/null <"$stat_file" || continue
    read -r -a fields <<<"${stat##*) }"
    if [[ ${fields[3]} == "$1" && ${fields[0]} != [ZX] ]]; then
      stat_file=${stat_file#/proc/}
      printf '%s %s\n' "${stat_file%/stat}" "${fields[2]}"
    fi
  done
}

# Sends SIGTERM to every process group of session $1 and succeeds when it reached one. `timeout`
# moves the hook into a group of its own inside the session, so signalling only the wrapper's group would miss it.
terminate_session() {
  local pid group signalled=1
  while read -r pid group; do
    kill -s TERM -- "-$group" 2>/dev/null && signalled=0
  done < <(session_processes "$1" | sort -u -k2,2)
  return "$signalled"
}

# Sends SIGKILL to the processes of session $1 other than the wrapper, so the wrapper still records an exit code.
kill_session_except_wrapper() {
  local pid group
  while read -r pid group; do
    [[ $pid == "$1" ]] || kill -s KILL -- "$pid" 2>/dev/null || true
  done < <(session_processes "$1")
}

# Waits up to $2 seconds until session $1 has no process left other than ($3 = except) the wrapper.
wait_for_session_exit() {
  local deadline=$((SECONDS + $2)) pid group remaining
  while ((SECONDS < deadline)); do
    remaining=0
    while read -r pid group; do
      [[ $3 == except && $pid == "$1" ]] || remaining=1
    done < <(session_processes "$1")
    ((remaining)) || return 0
    sleep 0.1
  done
  return 1
}

command_kill() {
  parse_options "$@"
  validate_common
  # A launch still starting its wrapper gets the same bounded wait, so its hook is not missed.
  [[ -d $RECORD_DIR ]] && { wait_for_pid_file || true; }
  read_pid_file
  local ticks=''
  [[ -n $PID ]] && ticks=$(start_ticks_of "$PID")
  # A live process with another start time means the pid was reused, so its session is not the hook's.
  if [[ -z $PID || (-n $ticks && $ticks != "$PID_START_TICKS") ]] || ! terminate_session "$PID"; then
    printf '{"deployId":%s,"signalled":false}\n' "$(json_string "$DEPLOY_ID")"
    return 0
  fi
  if ! wait_for_session_exit "$PID" "$KILL_GRACE_SECONDS" all; then
    kill_session_except_wrapper "$PID"
    if ! wait_for_session_exit "$PID" 2 all; then
      kill -s KILL -- "$PID" 2>/dev/null || true
    fi
  fi
  printf '{"deployId":%s,"signalled":true}\n' "$(json_string "$DEPLOY_ID")"
}

main() {
  (($# > 0)) || usage_error 'missing command: expected launch, poll or kill'
  local command=$1
  shift
  case $command in
    launch) command_launch "$@" ;;
    run) command_run "$@" ;;
    poll) command_poll "$@" ;;
    kill) command_kill "$@" ;;
    *) usage_error "unknown command $(json_string "$command"); expected launch, poll or kill" ;;
  esac
}

main "$@"

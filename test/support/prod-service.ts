import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shellQuote } from '../../activities/host-transport.js';

/** The stand-in production service script. */
export const prodServiceScript = fileURLToPath(new URL('../../host/prod-service.mjs', import.meta.url));

/** A running stand-in production service and the files that drive it. */
export interface ProdService {
  url: string;
  healthUrl: string;
  versionFile: string;
  pidFile: string;
  logFile: string;
  /** Stops whichever process the pid file names (the service may have been restarted since). */
  stop(): Promise<void>;
}

/** Starts the stand-in service detached on 127.0.0.1:port with its files in dir, and waits until /health responds. */
export async function startProdService({
  dir,
  port,
  image = '',
}: {
  dir: string;
  port: number;
  image?: string;
}): Promise<ProdService> {
  await mkdir(dir, { recursive: true });
  const versionFile = path.join(dir, 'version');
  const pidFile = path.join(dir, 'service.pid');
  const logFile = path.join(dir, 'service.log');
  await writeFile(versionFile, `${image}\n`);

  const child = spawn('bash', ['-c', startCommand({ port, versionFile, pidFile, logFile })], { stdio: 'ignore' });
  await new Promise((resolve, reject) => child.once('exit', resolve).once('error', reject));
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(`${url}/health`);
  return { url, healthUrl: `${url}/health`, versionFile, pidFile, logFile, stop: () => stopByPidFile(pidFile) };
}

/**
 * Writes `services/NAME/restart` for the docker stand-in: it stops the service named by the pid file,
 * copies the image that targetTag points to (per the stand-in's `tags` file) into the version file,
 * and starts the service again detached.
 */
export async function writeRestartScript({
  standinDir,
  serviceName,
  service,
  port,
  targetTag,
}: {
  standinDir: string;
  serviceName: string;
  service: ProdService;
  port: number;
  targetTag: string;
}): Promise<string> {
  const scriptDir = path.join(standinDir, 'services', serviceName);
  await mkdir(scriptDir, { recursive: true });
  const script = path.join(scriptDir, 'restart');
  const tagsFile = path.join(standinDir, 'tags');
  const lines = [
    'set -euo pipefail',
    `pid_file=${shellQuote(service.pidFile)}`,
    // A stopped service may stay a zombie until init reaps it, so liveness reads the state in /proc.
    'alive() { local stat; stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; stat=${stat##*) }; [[ ${stat:0:1} != Z ]]; }',
    'if [[ -s $pid_file ]]; then',
    '  pid=$(<"$pid_file")',
    '  kill -TERM "$pid" 2>/dev/null || true',
    '  for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done',
    'fi',
    `tag=${shellQuote(targetTag)} tags_file=${shellQuote(tagsFile)}`,
    `image=$(awk -v tag="$tag" '$1 == tag { image = $2 } END { print image }' "$tags_file" 2>/dev/null || true)`,
    `[[ -z $image ]] || printf '%s\\n' "$image" >${shellQuote(service.versionFile)}`,
    'rm -f -- "$pid_file"',
    startCommand({ port, versionFile: service.versionFile, pidFile: service.pidFile, logFile: service.logFile }),
    'for _ in $(seq 50); do [[ -s $pid_file ]] && exit 0; sleep 0.1; done',
    'echo "restart: the service did not write its pid file within 5 s" >&2',
    'exit 1',
  ];
  await writeFile(script, `${lines.join('\n')}\n`, { mode: 0o755 });
  return script;
}

/** Shell line that starts the service in its own session, detached from the caller's pipes. */
function startCommand({
  port,
  versionFile,
  pidFile,
  logFile,
}: {
  port: number;
  versionFile: string;
  pidFile: string;
  logFile: string;
}): string {
  const argv = [
    process.execPath,
    prodServiceScript,
    '--port',
    String(port),
    '--version-file',
    versionFile,
    '--pid-file',
    pidFile,
  ];
  return `setsid --fork ${argv.map(shellQuote).join(' ')} </dev/null >>${shellQuote(logFile)} 2>&1`;
}

async function waitForHealth(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`stand-in service at ${url} did not respond within ${timeoutMs} ms: see its log file`);
}

async function stopByPidFile(pidFile: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(pidFile, 'utf8')).trim());
  } catch {
    return;
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50; i++) {
    if (!isAlive(pid)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.kill(pid, 'SIGKILL');
}

/** Reads the process state from /proc, because a stopped service may stay a zombie until init reaps it. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

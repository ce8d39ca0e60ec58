import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { HostConfig } from '../shared/config.js';

/** Output of one command that ran to completion on the deploy host. */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs: number;
  /** Aborting it stops the command and makes `run` reject with the signal's reason. */
  signal?: AbortSignal;
}

/** Runs an argv array on the deploy host. */
export interface HostTransport {
  run(argv: string[], options: RunOptions): Promise<CommandResult>;
}

/** A deploy host from the config: how to reach it and where the launcher keeps its records. */
export interface HostTarget {
  name: string;
  transport: HostTransport;
  launcherPath: string;
  stateDir: string;
}

/** Raised when a command could not run or finish on the host: spawn failure, timeout or an ssh error. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
}

/** The launcher shipped in this repository, used by the `local` transport unless the config names another. */
export const bundledLauncherPath = fileURLToPath(new URL('../host/launcher.sh', import.meta.url));

const MAX_OUTPUT_BYTES = 1_000_000;
const SSH_ERROR_EXIT_CODE = 255;

/** Builds the target for the host config `hosts[name]`. */
export function hostTarget(name: string, host: HostConfig): HostTarget {
  if (host.transport === 'local') {
    return {
      name,
      transport: localTransport(),
      launcherPath: host.launcherPath ?? bundledLauncherPath,
      stateDir: host.stateDir,
    };
  }
  return { name, transport: sshTransport(host), launcherPath: host.launcherPath, stateDir: host.stateDir };
}

/** Runs commands on this machine. */
export function localTransport(): HostTransport {
  return {
    async run(argv, options) {
      const [file, ...args] = argv;
      if (file === undefined) throw new TransportError('empty argv: expected a command to run');
      return runProcess({ file, args, options, describe: `local command ${file}` });
    },
  };
}

type SshHostConfig = Extract<HostConfig, { transport: 'ssh' }>;

/** Runs commands on a remote host through the system OpenSSH client, non-interactively. */
export function sshTransport(host: SshHostConfig): HostTransport {
  return {
    async run(argv, options) {
      const [file, ...args] = sshArgv(host, argv);
      const result = await runProcess({ file: file!, args, options, describe: `ssh to ${host.user}@${host.host}` });
      if (result.exitCode === SSH_ERROR_EXIT_CODE && !hasJsonLine(result.stdout)) {
        throw new TransportError(
          `ssh to ${host.user}@${host.host}:${host.port} failed (exit 255): ${lastLine(result.stderr) || 'no message'}`,
        );
      }
      return result;
    },
  };
}

/**
 * Builds the ssh argv. `--` ends the options, because ssh also parses options after the destination.
 * sshd passes the command to the remote user's shell, so each argument is quoted for that shell.
 */
export function sshArgv(host: SshHostConfig, argv: string[]): string[] {
  return [
    'ssh',
    '-o', 'BatchMode=yes',
    '-o', `ConnectTimeout=${Math.ceil(host.connectTimeoutSeconds)}`,
    '-o', `StrictHostKeyChecking=${host.strictHostKeyChecking ? 'yes' : 'no'}`,
    '-o', `UserKnownHostsFile=${host.knownHostsFile}`,
    '-o', 'IdentitiesOnly=yes',
    '-i', host.identityFile,
    '-p', String(host.port),
    '-T',
    `${host.user}@${host.host}`,
    '--',
    remoteCommand(argv),
  ]; // prettier-ignore
}

/** Joins an argv into one POSIX shell command line that runs exactly that argv. */
export function remoteCommand(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** Quotes one argument for a POSIX shell: wrapped in single quotes, each `'` written as `'\''`. */
export function shellQuote(argument: string): string {
  return `'${argument.replaceAll("'", "'\\''")}'`;
}

async function runProcess({
  file,
  args,
  options,
  describe,
}: {
  file: string;
  args: string[];
  options: RunOptions;
  describe: string;
}): Promise<CommandResult> {
  const result = await execa(file, args, {
    reject: false,
    stdin: 'ignore',
    timeout: options.timeoutMs,
    cancelSignal: options.signal,
    forceKillAfterDelay: 2000,
    maxBuffer: MAX_OUTPUT_BYTES,
    encoding: 'utf8',
  });
  if (result.isCanceled && options.signal?.aborted) throw options.signal.reason;
  if (result.timedOut) {
    throw new TransportError(`${describe} timed out after ${options.timeoutMs} ms`, { cause: result });
  }
  if (result.exitCode === undefined) {
    throw new TransportError(`${describe} failed to run: ${result.shortMessage}`, { cause: result });
  }
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

function hasJsonLine(stdout: string): boolean {
  return stdout.split('\n').some((line) => {
    try {
      const value: unknown = JSON.parse(line);
      return value !== null && typeof value === 'object';
    } catch {
      return false;
    }
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.slice(0, 300) ?? '';
}

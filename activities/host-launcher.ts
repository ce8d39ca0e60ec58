import { z } from 'zod';
import { shorten } from '../shared/ids.js';
import type { LaunchRecord } from './types.js';
import { failure, FailureType } from './failure.js';
import { TransportError, type HostTarget } from './host-transport.js';

/** Pattern of the deploy ids that the launcher accepts. A deploy id names the record folder on the host. */
export const DEPLOY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const LAUNCH_TIMEOUT_MS = 30_000;
const POLL_TIMEOUT_MS = 20_000;
const KILL_TIMEOUT_MS = 30_000;
const LAUNCHER_USAGE_EXIT_CODE = 64;

const launchRecordSchema = z.object({
  deployId: z.string(),
  pid: z.number().int().nonnegative(),
  pidStartTicks: z.string(),
  launchedAt: z.string(),
  recordDir: z.string(),
  exitFile: z.string(),
  logFile: z.string(),
  launchedNow: z.boolean(),
});

const pollSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('DONE'), exitCode: z.number().int().min(0).max(255), logTail: z.array(z.string()) }),
  z.object({ state: z.enum(['RUNNING', 'VANISHED', 'MISSING']), logTail: z.array(z.string()) }),
]);

/** State of a hook as one launcher poll reported it. */
export type PollResult = z.infer<typeof pollSchema>;

export interface LaunchRequest {
  deployId: string;
  hook: string[];
  env: Record<string, string>;
  timeoutSeconds: number;
  lockName: string;
}

/** Starts the hook detached on the host, or returns the record of an earlier launch of the same deploy id. */
export async function launch(target: HostTarget, request: LaunchRequest, signal?: AbortSignal): Promise<LaunchRecord> {
  const envOptions = Object.entries(request.env).flatMap(([key, value]) => ['--env', `${key}=${value}`]);
  const argv = [
    ...launcherArgv(target, 'launch', request.deployId),
    '--timeout', String(Math.ceil(request.timeoutSeconds)),
    '--lock', request.lockName,
    ...envOptions,
    '--', ...request.hook,
  ]; // prettier-ignore
  const output = await callLauncher({ target, argv, timeoutMs: LAUNCH_TIMEOUT_MS, signal, action: 'launch' });
  const record = parseOutput(target, launchRecordSchema, output, 'launch');
  return { ...record, host: target.name };
}

/**
 * Reads the state of a launched hook, waiting up to `waitMs` on the host while it runs. Throws a
 * failure when the host or the launcher did not respond.
 */
export async function poll(target: HostTarget, deployId: string, signal?: AbortSignal, waitMs = 0): Promise<PollResult> {
  const argv = [...launcherArgv(target, 'poll', deployId), '--wait-ms', String(Math.round(waitMs))];
  const timeoutMs = POLL_TIMEOUT_MS + waitMs;
  const output = await callLauncher({ target, argv, timeoutMs, signal, action: 'poll' });
  return parseOutput(target, pollSchema, output, 'poll');
}

/** Sends SIGTERM, then SIGKILL after a grace period, to every process of the hook's session. */
export async function kill(target: HostTarget, deployId: string): Promise<boolean> {
  const argv = launcherArgv(target, 'kill', deployId);
  const output = await callLauncher({ target, argv, timeoutMs: KILL_TIMEOUT_MS, action: 'kill' });
  return parseOutput(target, z.object({ signalled: z.boolean() }), output, 'kill').signalled;
}

function launcherArgv(target: HostTarget, command: string, deployId: string): string[] {
  return ['bash', target.launcherPath, command, '--state-dir', target.stateDir, '--deploy-id', deployId];
}

async function callLauncher({
  target,
  argv,
  timeoutMs,
  signal,
  action,
}: {
  target: HostTarget;
  argv: string[];
  timeoutMs: number;
  signal?: AbortSignal;
  action: string;
}): Promise<string> {
  let result;
  try {
    result = await target.transport.run(argv, { timeoutMs, signal });
  } catch (error) {
    if (!(error instanceof TransportError)) throw error;
    const message = `launcher ${action} on host ${target.name} failed: ${error.message}`;
    throw failure(FailureType.HostUnreachable, message, error);
  }
  if (result.exitCode === 0) return result.stdout;

  const reason = shorten(result.stderr.trim().split('\n').at(-1) ?? '', 300);
  if (result.exitCode === LAUNCHER_USAGE_EXIT_CODE) {
    throw failure(
      FailureType.InvalidConfig,
      `launcher ${action} on host ${target.name} rejected its arguments: ${reason}. ` +
        `Check hosts.${target.name} and the project's deploy settings.`,
    );
  }
  throw failure(
    FailureType.LauncherFailed,
    `launcher ${action} on host ${target.name} exited with code ${result.exitCode}: ${reason}`,
  );
}

function parseOutput<T extends z.ZodType>(target: HostTarget, schema: T, stdout: string, action: string): z.infer<T> {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw failure(
      FailureType.LauncherFailed,
      `launcher ${action} on host ${target.name} printed ${shorten(line)}: expected one JSON line`,
      error,
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw failure(
      FailureType.LauncherFailed,
      `launcher ${action} on host ${target.name} printed ${shorten(line)}: expected the launcher's ${action} record`,
      parsed.error,
    );
  }
  return parsed.data;
}

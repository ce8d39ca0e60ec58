/**
 * Fault injection for crash tests: a named point between two side effects where a test run can make
 * the worker process die with SIGKILL, the way a host restart or an out-of-memory kill would.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { log } from '@temporalio/activity';

const POINT_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Settings read once, when the worker process starts, so a running worker cannot be switched on later. */
const settings = faultSettings(process.env);

/** Kill switch of one worker process: the point to die at and the folder for marker files. */
export interface FaultSettings {
  killAt: string;
  markerDir: string;
}

/**
 * Reads the kill switch from `env`, or returns null when it is off. It is on only with
 * `DEPLOYER_FAULT_INJECTION=1`, a valid `DEPLOYER_KILL_AT` point name and an absolute
 * `DEPLOYER_FAULT_MARKER_DIR`, and never with `NODE_ENV=production`.
 */
export function faultSettings(env: NodeJS.ProcessEnv): FaultSettings | null {
  if (env.DEPLOYER_FAULT_INJECTION !== '1' || env.NODE_ENV === 'production') return null;
  const killAt = env.DEPLOYER_KILL_AT ?? '';
  const markerDir = env.DEPLOYER_FAULT_MARKER_DIR ?? '';
  if (!POINT_NAME.test(killAt) || !path.isAbsolute(markerDir)) return null;
  return { killAt, markerDir };
}

/**
 * Kills this process with SIGKILL when fault injection is on and `name` is the configured point.
 * A marker file named after the point is created first (exclusively), so the point fires once per
 * marker folder, and a point that already has its marker is a no-op.
 */
export async function faultPoint(name: string): Promise<void> {
  if (settings === null || settings.killAt !== name) return;
  const marker = path.join(settings.markerDir, name);
  try {
    await writeFile(marker, `${process.pid} ${new Date().toISOString()}\n`, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw error;
  }
  log.warn('fault injection: killing the worker process', { point: name, pid: process.pid, marker });
  process.kill(process.pid, 'SIGKILL');
}

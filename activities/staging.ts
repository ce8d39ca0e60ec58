import { Context, log } from '@temporalio/activity';
import { execa } from 'execa';
import { projectIdSchema, workItemIdSchema } from '../shared/ids.js';
import type { ActivityDeps } from './context.js';
import { failure, FailureType, validated } from './failure.js';
import { faultPoint } from './faults.js';
import { projectOf } from './project.js';
import { LineCollector } from './line-collector.js';
import type { StagingCheckRequest, StagingCheckResult } from './types.js';

/** After the check exits, how long to wait for its pipes to close before cutting them off. */
const PIPE_GRACE_MS = 2_000;
const HEARTBEAT_INTERVAL_MS = 5_000;

/** Builds the staging check activity: runs the configured command and reports its exit code and marker lines. */
export function createStagingActivities(deps: ActivityDeps) {
  return {
    async runStagingCheck(request: StagingCheckRequest): Promise<StagingCheckResult> {
      validated(projectIdSchema, request.projectId, 'projectId');
      validated(workItemIdSchema, request.workItemId, 'workItemId');
      const project = projectOf(deps.config, request.projectId);
      const command = stagingCommand(project.staging.command, project.staging.baseUrl, request.strict);
      log.info('staging check started', { projectId: request.projectId, workItemId: request.workItemId, command });
      const result = await runCheck(command, project.staging.timeoutSeconds * 1000, request.strict);
      await faultPoint('staging-check-done');
      log.info('staging check finished', {
        projectId: request.projectId,
        workItemId: request.workItemId,
        exitCode: result.exitCode,
        timedOut: result.timedOut,
        waivers: result.waivers.length,
        durationMs: result.durationMs,
      });
      return result;
    },
  };
}

/** Substitutes `{baseUrl}` in the configured argv and appends `--strict` when strict mode is on. */
export function stagingCommand(template: string[], baseUrl: string, strict: boolean): string[] {
  const argv = template.map((part) => part.replaceAll('{baseUrl}', baseUrl));
  if (strict && !argv.includes('--strict')) argv.push('--strict');
  return argv;
}

async function runCheck(command: string[], timeoutMs: number, strict: boolean): Promise<StagingCheckResult> {
  const [file, ...args] = command as [string, ...string[]];
  const started = Date.now();
  const collector = new LineCollector();
  const context = Context.current();
  const child = execa(file, args, {
    buffer: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    all: true,
    reject: false,
    timeout: timeoutMs,
    forceKillAfterDelay: 5_000,
    cancelSignal: context.cancellationSignal,
    env: strict ? { ORCH_STAGING_INFRA_TOLERANCE_ENABLED: 'false' } : {},
  });
  child.all?.on('data', (chunk: Buffer) => collector.push(chunk));
  child.all?.on('error', () => undefined);

  const heartbeat = setInterval(() => context.heartbeat({ outputBytes: collector.bytes }), HEARTBEAT_INTERVAL_MS);
  const cutPipes = () => setTimeout(() => child.all?.destroy(), PIPE_GRACE_MS).unref();
  child.once('exit', cutPipes);
  try {
    const outcome = await child;
    collector.end();
    if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
    return {
      exitCode: exitCodeOf(outcome),
      waivers: collector.waivers,
      verdictLines: collector.verdictLines,
      outputTail: collector.tail,
      outputBytes: collector.bytes,
      durationMs: Date.now() - started,
      timedOut: outcome.timedOut === true,
      command,
    };
  } catch (error) {
    if (context.cancellationSignal.aborted) throw error;
    throw failure(FailureType.InvalidConfig, `staging check could not run: ${command[0]}`, error);
  } finally {
    clearInterval(heartbeat);
  }
}

/** Returns the check's exit code; one that could not start, timed out or died from a signal counts as failed. */
function exitCodeOf(outcome: { exitCode?: number; failed: boolean; code?: string }): number {
  if (typeof outcome.exitCode === 'number') return outcome.exitCode;
  if (outcome.code === 'ENOENT') return 127;
  return 1;
}

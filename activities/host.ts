import { ApplicationFailure, CancelledFailure, Context, heartbeat, log, sleep } from '@temporalio/activity';
import { z } from 'zod';
import type { ProjectConfig } from '../shared/config.js';
import { identitySchema, imageReferenceSchema, projectIdSchema, workItemIdSchema } from '../shared/ids.js';
import type { ActivityDeps } from './context.js';
import { failure, FailureType, validated } from './failure.js';
import { faultPoint } from './faults.js';
import { DEPLOY_ID_PATTERN, kill, launch, poll, type PollResult } from './host-launcher.js';
import { hostTarget, type HostTarget } from './host-transport.js';
import { projectOf } from './project.js';
import type { HookOutcome, HookRequest, LaunchRecord } from './types.js';

/** Extra time past the hook's own timeout before the poll gives up, so `timeout -k 10` can end the hook first. */
const DEADLINE_SLACK_MS = 60_000;
/** How long a missing record right after the launch counts as not yet visible instead of vanished. */
const MISSING_GRACE_MS = 30_000;
/** Interval of the timer heartbeat while a hook runs. */
const HEARTBEAT_INTERVAL_MS = 3_000;

const hookRequestSchema = z.object({
  projectId: projectIdSchema,
  workItemId: workItemIdSchema,
  deployId: z.string().regex(DEPLOY_ID_PATTERN, "expected letters, digits, '.', '_' and '-' (at most 128)"),
  imageReference: imageReferenceSchema,
  approver: identitySchema.optional(),
  workflowId: z.string().min(1),
});

interface HookSetup {
  project: ProjectConfig;
  target: HostTarget;
}

/** Builds the activities that launch the deploy hook on the deploy host and wait for its exit code. */
export function createHostActivities(deps: ActivityDeps) {
  return {
    /** Starts the hook detached. A second call with the same deploy id returns the first launch's record. */
    async launchHook(request: HookRequest): Promise<LaunchRecord> {
      const setup = resolveSetup(deps, request);
      return launchDetached(setup, request);
    },

    /** Polls until the hook has exited, vanished or overrun its deadline. Never kills the hook. */
    async awaitHookExit(request: HookRequest & { launch: LaunchRecord }): Promise<HookOutcome> {
      const setup = resolveSetup(deps, request);
      return awaitExit(setup, request.launch);
    },

    /** Launches the hook and waits for it in one activity, and kills the hook when cancelled or overrun. */
    async runHook(request: HookRequest): Promise<HookOutcome> {
      const setup = resolveSetup(deps, request);
      try {
        const record = await launchDetached(setup, request);
        const outcome = await awaitExit(setup, record);
        if (outcome.result === 'timed-out') await killQuietly(setup.target, request.deployId);
        return outcome;
      } catch (error) {
        // A launch cancelled midway may still have started the hook, so the kill covers that case too.
        if (error instanceof CancelledFailure) await killQuietly(setup.target, request.deployId);
        throw error;
      }
    },
  };
}

function resolveSetup(deps: ActivityDeps, request: HookRequest): HookSetup {
  validated(hookRequestSchema, request, 'hook request');
  const project = projectOf(deps.config, request.projectId);
  const host = deps.config.hosts[project.deploy.host];
  if (!host) {
    throw failure(
      FailureType.InvalidConfig,
      `projects.${request.projectId}.deploy.host names host ${project.deploy.host}, which is not under "hosts"`,
    );
  }
  return { project, target: hostTarget(project.deploy.host, host) };
}

/** Builds the hook environment: the project's settings, then the facts of this deploy, which take precedence. */
function hookEnv(project: ProjectConfig, request: HookRequest): Record<string, string> {
  const env: Record<string, string> = {
    ...project.deploy.env,
    SOURCE_IMAGE: request.imageReference,
    WORK_ITEM_ID: request.workItemId,
    DEPLOY_ID: request.deployId,
    PROJECT_ID: request.projectId,
  };
  if (request.approver !== undefined) env.APPROVER = request.approver;
  return env;
}

async function launchDetached({ project, target }: HookSetup, request: HookRequest): Promise<LaunchRecord> {
  const record = await launch(
    target,
    {
      deployId: request.deployId,
      hook: project.deploy.hook,
      env: hookEnv(project, request),
      timeoutSeconds: project.deploy.hookTimeoutSeconds,
      lockName: `deploy-${project.deploy.environment}`,
    },
    Context.current().cancellationSignal,
  );
  await faultPoint('hook-launched');
  log.info('deploy hook launched', {
    deployId: record.deployId,
    host: record.host,
    pid: record.pid,
    launchedNow: record.launchedNow,
    workItemId: request.workItemId,
  });
  return record;
}

type Observation = PollResult | { state: 'UNKNOWN'; logTail?: undefined };

async function awaitExit({ project, target }: HookSetup, record: LaunchRecord): Promise<HookOutcome> {
  const hookTimeoutMs = project.deploy.hookTimeoutSeconds * 1000;
  const launchedAtMs = Date.parse(record.launchedAt);
  const deadlineMs = (Number.isNaN(launchedAtMs) ? Date.now() : launchedAtMs) + hookTimeoutMs + DEADLINE_SLACK_MS;
  const missingGraceEndMs = Date.now() + MISSING_GRACE_MS;
  const intervalMs = project.deploy.pollIntervalSeconds * 1000;
  let logTail: string[] = [];
  let last = { state: 'UNKNOWN', at: new Date().toISOString() };
  // Heartbeats go out on a timer as well, so a slow poll (ssh connect plus the poll timeout) never
  // looks like a dead worker, and the workflow can keep the heartbeat timeout short.
  const ticker = setInterval(() => heartbeat(last), HEARTBEAT_INTERVAL_MS);
  try {
    for (;;) {
      const observation = await observe(target, record.deployId, intervalMs);
      logTail = observation.logTail ?? logTail;
      last = { state: observation.state, at: new Date().toISOString() };
      heartbeat(last);
      if (observation.state === 'RUNNING') await faultPoint('hook-polling');

      const outcome = decide({ observation, logTail, deadlineMs, missingGraceEndMs });
      if (outcome) {
        await faultPoint('hook-exit-seen');
        const { result, exitCode } = outcome;
        log.info('deploy hook finished', { deployId: record.deployId, result, exitCode });
        return outcome;
      }
      // A RUNNING result already waited on the host for the interval, so only other results wait here.
      if (observation.state !== 'RUNNING') await sleep(intervalMs);
    }
  } finally {
    clearInterval(ticker);
  }
}

/** Polls once. A transport or launcher error is UNKNOWN, so it never decides the outcome. */
async function observe(target: HostTarget, deployId: string, waitMs: number): Promise<Observation> {
  const signal = Context.current().cancellationSignal;
  try {
    return await poll(target, deployId, signal, waitMs);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (error instanceof ApplicationFailure && error.nonRetryable) throw error;
    log.warn('deploy hook poll failed, polling again', { deployId, host: target.name, error: String(error) });
    return { state: 'UNKNOWN' };
  }
}

function decide({
  observation,
  logTail,
  deadlineMs,
  missingGraceEndMs,
}: {
  observation: Observation;
  logTail: string[];
  deadlineMs: number;
  missingGraceEndMs: number;
}): HookOutcome | null {
  const now = Date.now();
  if (observation.state === 'DONE') {
    const exitCode = observation.exitCode;
    return { exitCode, result: 'exited', detail: `the hook exited with code ${exitCode}`, logTail };
  }
  if (observation.state === 'VANISHED') {
    const detail = 'the hook process is gone and wrote no exit code (killed, or the host restarted)';
    return { exitCode: null, result: 'vanished', detail, logTail };
  }
  if (observation.state === 'MISSING' && now > missingGraceEndMs) {
    const detail = 'the host has no launch record for this deploy id';
    return { exitCode: null, result: 'vanished', detail, logTail };
  }
  if (now > deadlineMs) {
    const deadline = new Date(deadlineMs).toISOString();
    const detail = `no exit code by ${deadline} (the hook timeout plus ${DEADLINE_SLACK_MS / 1000} s)`;
    return { exitCode: null, result: 'timed-out', detail, logTail };
  }
  return null;
}

async function killQuietly(target: HostTarget, deployId: string): Promise<void> {
  try {
    const signalled = await kill(target, deployId);
    log.info('deploy hook killed', { deployId, host: target.name, signalled });
  } catch (error) {
    log.error('deploy hook kill failed, so the hook may still run on the host', {
      deployId,
      host: target.name,
      error: String(error),
    });
  }
}

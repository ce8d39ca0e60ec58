/**
 * End state of one chaos case, read from the real components: the bare git origin, the stand-in
 * Gitea, the launcher's records on the host, the hook-run counter and the stand-in Plane.
 */
import { readdir, readFile } from 'node:fs/promises';
import { execa } from 'execa';
import type { PlaneStandin } from '../test/support/plane-standin.js';
import { readMain, type Sandbox } from '../test/support/sandbox.js';
import { isSuccess, VERDICT_FILES } from '../verdict/gate.js';
import type { DeployResult } from '../workflows/messages.js';

/** Side effects of one deploy, counted. A clean self-deploy has exactly the `EXPECTED` counts. */
export interface SideEffects {
  stagingVerdictCommits: number;
  deployVerdictCommits: number;
  stagingVerdictPulls: number;
  deployVerdictPulls: number;
  /** Merges that the stand-in Gitea performed: the feature pull request and both verdict pull requests. */
  merges: number;
  launchRecords: number;
  hookRuns: number;
  trackerStateChanges: number;
  trackerComments: number;
}

/** Counts of a self-deploy that ran each side effect once: approval-pending, then done in the tracker. */
export const EXPECTED: SideEffects = {
  stagingVerdictCommits: 1,
  deployVerdictCommits: 1,
  stagingVerdictPulls: 1,
  deployVerdictPulls: 1,
  merges: 3,
  launchRecords: 1,
  hookRuns: 1,
  trackerStateChanges: 2,
  trackerComments: 2,
};

/** Result of the end-state check: the side effect counts and every mismatch found. */
export interface EndState {
  effects: SideEffects;
  /** Side effects that happened more often than once: the sum of every count above its expected value. */
  duplicates: number;
  problems: string[];
}

const GIT_TIMEOUT_MS = 10_000;

/** Reads the end state of a finished deploy of `workItemId` and compares it with a single clean run. */
export async function readEndState({
  sandbox,
  plane,
  workItemId,
  result,
}: {
  sandbox: Sandbox;
  plane: PlaneStandin;
  workItemId: string;
  result: DeployResult;
}): Promise<EndState> {
  const folder = `docs/work-items/${workItemId}`;
  const pulls = sandbox.gitea.pulls();
  const verdictPulls = (file: string) => pulls.filter((pull) => pull.head === `deployer/${workItemId}/${file}`).length;
  const effects: SideEffects = {
    stagingVerdictCommits: await commitsTouching(sandbox.originPath, `${folder}/${VERDICT_FILES.staging.fileName}`),
    deployVerdictCommits: await commitsTouching(sandbox.originPath, `${folder}/${VERDICT_FILES.deploy.fileName}`),
    stagingVerdictPulls: verdictPulls('15-staging-log'),
    deployVerdictPulls: verdictPulls('14-deploy-log'),
    merges: sandbox.gitea.mergeCalls,
    launchRecords: await launchRecords(sandbox),
    hookRuns: await hookRuns(sandbox.hookRunsFile),
    trackerStateChanges: plane.requests.filter((request) => request.method === 'PATCH').length,
    trackerComments: plane.workItem(workItemId).comments.length,
  };

  const problems: string[] = [];
  let duplicates = 0;
  for (const key of Object.keys(EXPECTED) as Array<keyof SideEffects>) {
    if (effects[key] !== EXPECTED[key]) problems.push(`${key}: ${effects[key]}, expected ${EXPECTED[key]}`);
    duplicates += Math.max(0, effects[key] - EXPECTED[key]);
  }
  problems.push(...(await outcomeProblems({ sandbox, plane, workItemId, result, folder })));
  const featurePull = pulls.find((pull) => pull.head === sandbox.branchOf(workItemId));
  if (featurePull?.merged !== true) problems.push(`feature pull request of ${workItemId} is not merged`);
  return { effects, duplicates, problems };
}

/** Checks the workflow result, both verdict files on main and the final tracker state. */
async function outcomeProblems({
  sandbox,
  plane,
  workItemId,
  result,
  folder,
}: {
  sandbox: Sandbox;
  plane: PlaneStandin;
  workItemId: string;
  result: DeployResult;
  folder: string;
}): Promise<string[]> {
  const problems: string[] = [];
  if (result.stagingStatus !== 'SUCCESS') problems.push(`workflow staging status ${result.stagingStatus}, expected SUCCESS`);
  if (result.deployStatus !== 'SUCCESS') problems.push(`workflow deploy status ${result.deployStatus}, expected SUCCESS`);
  for (const kind of ['staging', 'deploy'] as const) {
    const file = `${folder}/${VERDICT_FILES[kind].fileName}`;
    const text = await readMain(sandbox.originPath, file);
    if (text === undefined || !isSuccess(kind, text)) problems.push(`${file} on main is not a SUCCESS verdict`);
  }
  const state = plane.workItem(workItemId).state;
  if (state !== 'Done') problems.push(`tracker state of ${workItemId} is "${state}", expected "Done"`);
  return problems;
}

/** Counts the non-merge commits on main that changed `file`. */
async function commitsTouching(originPath: string, file: string): Promise<number> {
  const log = await execa('git', ['--git-dir', originPath, 'log', '--no-merges', '--format=%H', 'main', '--', file], {
    timeout: GIT_TIMEOUT_MS,
  });
  return log.stdout.split('\n').filter((line) => line !== '').length;
}

/** Counts the launcher's record folders on the host: one per deploy id that was launched. */
async function launchRecords(sandbox: Sandbox): Promise<number> {
  const host = sandbox.config.hosts.production;
  if (host === undefined) return 0;
  const entries = await readdir(host.stateDir, { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isDirectory() && entry.name !== 'locks').length;
}

async function hookRuns(runsFile: string): Promise<number> {
  const text = await readFile(runsFile, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.trim() !== '').length;
}


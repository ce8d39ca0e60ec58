/**
 * Contract between the workflow and its activities. The workflow imports these types only, so
 * nothing here may pull Node built-ins into the workflow bundle.
 */
import type { DeployInput } from '../shared/input.js';

export type Status = 'SUCCESS' | 'FAILED';
export type VerdictKind = 'staging' | 'deploy';
export type TrackerState = 'approval-pending' | 'done' | 'development';

/** Non-secret settings of a project that the workflow needs to decide its path. */
export interface DeployPlan {
  projectId: string;
  selfHosting: boolean;
  stagingBaseUrl: string;
  approvers: string[];
  approvalTimeoutMs: number;
  pollIntervalMs: number;
  hookTimeoutMs: number;
  stagingTimeoutMs: number;
  environment: string;
  hostName: string;
  uiUrl: string;
  namespace: string;
  taskQueue: string;
}

export interface StagingCheckRequest {
  projectId: string;
  workItemId: string;
  strict: boolean;
}

/** Result of the staging check. Only the exit code decides the verdict. */
export interface StagingCheckResult {
  exitCode: number;
  /** `INFRA-WAIVED:` lines, copied verbatim (trimmed, at most 50, each at most 500 characters). */
  waivers: string[];
  /** `VERDICT:` lines, copied verbatim with the same limits. */
  verdictLines: string[];
  /** Last lines of the output, for the verdict body. */
  outputTail: string[];
  outputBytes: number;
  durationMs: number;
  timedOut: boolean;
  command: string[];
}

export interface PublishVerdictRequest {
  projectId: string;
  workItemId: string;
  kind: VerdictKind;
  /** Full file content, already rendered: frontmatter and body. */
  content: string;
  /** Workflow id, used to name the branch and in the commit message. */
  workflowId: string;
}

export interface PublishVerdictResult {
  /** Path of the verdict file inside the repository. */
  path: string;
  /** The commit on the main branch that contains the file. */
  mainCommit: string;
  pullRequestNumber: number | null;
  /** True when the same content was already on main and nothing was written. */
  alreadyOnMain: boolean;
}

/** Structured verdict that the workflow hands to `recordVerdict`; rendered with gray-matter there. */
export interface RecordVerdictRequest {
  projectId: string;
  workItemId: string;
  kind: VerdictKind;
  /** Frontmatter fields in output order; the status field and timestamp come first. */
  fields: Record<string, string | number | boolean | string[] | null>;
  body: string;
  workflowId: string;
}

export interface PullRequestInfo {
  number: number;
  state: 'open' | 'closed';
  merged: boolean;
  headSha: string;
  headBranch: string;
}

export interface FindPullRequestRequest {
  projectId: string;
  branch: string;
  number?: number;
}

export interface MergePullRequestRequest {
  projectId: string;
  number: number;
  headSha?: string;
  workItemId: string;
}

export interface MergeFeatureBranchRequest {
  projectId: string;
  workItemId: string;
  branch: string;
  number?: number;
}

/** Result of the merge guard plus merge; `reason` is set when the pull request could not be merged. */
export interface MergeFeatureBranchResult {
  outcome: 'merged' | 'already-merged' | 'conflict' | 'closed' | 'not-found';
  pullRequestNumber: number | null;
  reason: string;
}

export type MergeOutcome =
  | { outcome: 'merged'; mergeCommit?: string }
  | { outcome: 'already-merged' }
  | { outcome: 'conflict'; reason: string }
  | { outcome: 'closed'; reason: string };

export interface MoveWorkItemRequest {
  projectId: string;
  workItemId: string;
  to: TrackerState;
  comment?: string;
}

export interface HookRequest {
  projectId: string;
  workItemId: string;
  /** Stable per deploy attempt: the same across activity retries and worker restarts. */
  deployId: string;
  imageReference: string;
  approver?: string;
  workflowId: string;
}

/** Location and process of a detached hook and its state files, returned by the launch and read by the poll. */
export interface LaunchRecord {
  deployId: string;
  host: string;
  pid: number;
  /** Process start time from /proc, so a reused pid is not mistaken for the hook. */
  pidStartTicks: string;
  launchedAt: string;
  recordDir: string;
  exitFile: string;
  logFile: string;
  /** False when this call found an earlier launch for the deploy id and started nothing. */
  launchedNow: boolean;
}

/** Final observation of a hook. `exitCode` is null when no exit code was written. */
export interface HookOutcome {
  exitCode: number | null;
  result: 'exited' | 'vanished' | 'timed-out';
  detail: string;
  logTail: string[];
}

/** Every activity the workflow calls. */
export interface DeployActivities {
  prepareDeploy(input: DeployInput): Promise<DeployPlan>;
  runStagingCheck(request: StagingCheckRequest): Promise<StagingCheckResult>;
  recordVerdict(request: RecordVerdictRequest): Promise<PublishVerdictResult>;
  mergeFeatureBranch(request: MergeFeatureBranchRequest): Promise<MergeFeatureBranchResult>;
  moveWorkItem(request: MoveWorkItemRequest): Promise<{ changed: boolean }>;
  runHook(request: HookRequest): Promise<HookOutcome>;
  launchHook(request: HookRequest): Promise<LaunchRecord>;
  awaitHookExit(request: HookRequest & { launch: LaunchRecord }): Promise<HookOutcome>;
}

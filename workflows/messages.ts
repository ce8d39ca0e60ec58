/** Signals, queries and the update of the deploy workflow, shared by the workflow, the worker and clients. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { LaunchRecord, Status } from '../activities/types.js';

/** Payload of `approve`, as approvers send it from the Temporal CLI, the Web UI or our CLI. */
export interface ApprovePayload {
  approver: string;
  comment?: string;
}

/** Payload of `reject`. */
export interface RejectPayload {
  approver: string;
  reason: string;
}

/** Decision sent through the checked update, which returns at once whether it counted. */
export type Decision = ({ decision: 'approve' } & ApprovePayload) | ({ decision: 'reject' } & RejectPayload);

/** Whether a decision counted, and why not when it did not. */
export interface DecisionAnswer {
  counted: boolean;
  reason: string;
  phase: Phase;
}

export type Phase =
  | 'starting'
  | 'staging'
  | 'merging'
  | 'awaiting-approval'
  | 'deploying'
  | 'launching'
  | 'awaiting-hook'
  | 'finalizing'
  | 'finished';

/** An approval or rejection that arrived but did not count. */
export interface IgnoredDecision {
  approver: string;
  decision: 'approve' | 'reject';
  reason: string;
  at: string;
}

/** Result of the `status` query. */
export interface DeployStatusView {
  workflowId: string;
  projectId: string;
  workItemId: string;
  requestedBy: string;
  imageReference: string;
  phase: Phase;
  stagingStatus: Status | null;
  deployStatus: Status | null;
  reason: string | null;
  pullRequestNumber: number | null;
  approval: {
    pending: boolean;
    requestedAt: string | null;
    deadline: string | null;
    approver: string | null;
    comment: string | null;
    rejectedBy: string | null;
    ignored: IgnoredDecision[];
  };
  deployId: string | null;
  launch: LaunchRecord | null;
  hookExitCode: number | null;
  timestamps: {
    started: string;
    stagingVerdict: string | null;
    approvalDecided: string | null;
    launched: string | null;
    finished: string | null;
  };
}

/** Result of a completed workflow, whichever verdict it reached. */
export interface DeployResult {
  projectId: string;
  workItemId: string;
  stagingStatus: Status;
  deployStatus: Status | null;
  reason: string | null;
  hookExitCode: number | null;
}

/** Approves the pending deploy. The name stays `approve` because approvers type it in the Temporal CLI and UI. */
export const approveSignal = defineSignal<[ApprovePayload]>('approve');
/** Rejects the pending deploy. */
export const rejectSignal = defineSignal<[RejectPayload]>('reject');
/** Returns the phase, verdicts, approval state and launch record. */
export const statusQuery = defineQuery<DeployStatusView>('status');
/** Approves or rejects and returns at once whether the decision counted. */
export const decideUpdate = defineUpdate<DecisionAnswer, [Decision]>('decide');

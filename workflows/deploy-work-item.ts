/** The deploy workflow: staging gate, then the production deploy of one work item. */
import {
  condition,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DeployActivities, DeployPlan, HookOutcome, HookRequest, Status } from '../activities/types.js';
import type { DeployInput } from '../shared/input.js';
import { DeployPhaseKey, DeployStatusKey, StagingStatusKey } from '../shared/search-attributes.js';
import { ApprovalGate, approverLabel } from './approval.js';
import {
  approveSignal,
  decideUpdate,
  rejectSignal,
  statusQuery,
  type Decision,
  type DecisionAnswer,
  type DeployResult,
  type DeployStatusView,
  type Phase,
} from './messages.js';
import { deployBody, deployFields, stagingBody, stagingFields } from './verdicts.js';

const NON_RETRYABLE = ['InvalidInput', 'InvalidConfig', 'MissingSecret', 'ForgeRejected', 'TrackerRejected'];
const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE };

// Short calls run as local activities: each is one marker event instead of six, which keeps the
// full self-deploy history under 60 events. They are idempotent, so a re-run after a crash is safe.
const quick = proxyLocalActivities<DeployActivities>({
  startToCloseTimeout: '1m',
  localRetryThreshold: '10s',
  retry,
});
const git = proxyActivities<DeployActivities>({ startToCloseTimeout: '5m', heartbeatTimeout: '1m', retry });

/** Runs the staging gate and, when it passes, the production deploy of one work item. */
export async function deployWorkItem(input: DeployInput): Promise<DeployResult> {
  const run = new DeployRun(input);
  return run.execute();
}

class DeployRun {
  private readonly info = workflowInfo();
  private readonly state: DeployStatusView;
  private plan!: DeployPlan;
  private approval!: ApprovalGate;

  constructor(private readonly input: DeployInput) {
    this.state = initialState(input, this.info.workflowId, new Date().toISOString());
    this.approval = new ApprovalGate([], input.requestedBy);
    this.registerHandlers();
  }

  async execute(): Promise<DeployResult> {
    this.plan = await quick.prepareDeploy.executeWithOptions({ summary: 'validate input, load project settings' }, [this.input]);
    this.approval = new ApprovalGate(this.plan.approvers, this.input.requestedBy, this.approval.earlyDecisions);

    const staging = await this.stagingGate();
    if (staging === 'FAILED') {
      await this.moveTracker('development', 'staging check FAILED: back to development');
      return this.finish(null, `staging check failed`);
    }

    const merge = await this.mergeFeatureBranch();
    if (merge !== null) return this.finalizeDeploy(null, merge);

    const outcome = this.plan.selfHosting ? await this.selfDeploy() : await this.syncDeploy();
    if (outcome === null) return this.finalizeDeploy(null, this.state.reason ?? 'not deployed');
    return this.finalizeDeploy(outcome, null);
  }

  private registerHandlers(): void {
    setHandler(statusQuery, () => this.state);
    setHandler(approveSignal, (payload) => {
      this.decide({ ...objectOrEmpty(payload), decision: 'approve' } as Decision);
    });
    setHandler(rejectSignal, (payload) => {
      this.decide({ ...objectOrEmpty(payload), decision: 'reject' } as Decision);
    });
    setHandler(decideUpdate, (decision) => this.decide(decision), {
      validator: (decision) => {
        if (decision === null || typeof decision !== 'object') throw new Error('invalid decision: expected an object');
        if (decision.decision !== 'approve' && decision.decision !== 'reject') {
          throw new Error(`invalid decision: ${JSON.stringify(decision.decision)}: expected "approve" or "reject"`);
        }
      },
    });
  }

  private decide(decision: Decision): DecisionAnswer {
    const now = new Date().toISOString();
    const answer = this.approval.apply(decision, this.state.phase, now);
    this.state.approval = this.approval.view;
    if (answer.counted) this.state.timestamps.approvalDecided = now;
    log.info(answer.counted ? 'decision counted' : 'decision ignored', {
      decision: decision.decision,
      approver: approverLabel(decision.approver),
      reason: answer.reason,
    });
    return answer;
  }

  private async stagingGate(): Promise<Status> {
    this.enterPhase('staging', 'Running the staging check');
    const timestamp = new Date().toISOString();
    const check = await git.runStagingCheck.executeWithOptions(
      {
        summary: `staging check against ${this.plan.stagingBaseUrl}`,
        startToCloseTimeout: this.plan.stagingTimeoutMs + 60_000,
        heartbeatTimeout: '30s',
      },
      [{ projectId: this.input.projectId, workItemId: this.input.workItemId, strict: this.input.options.strictStaging }],
    );
    const status: Status = check.exitCode === 0 ? 'SUCCESS' : 'FAILED';
    await git.recordVerdict.executeWithOptions({ summary: `write 15-staging-log.md: ${status}` }, [
      {
        projectId: this.input.projectId,
        workItemId: this.input.workItemId,
        kind: 'staging',
        fields: stagingFields({ status, timestamp, baseUrl: this.plan.stagingBaseUrl, check, workflowId: this.info.workflowId }),
        body: stagingBody(status, check),
        workflowId: this.info.workflowId,
      },
    ]);
    this.state.stagingStatus = status;
    this.state.timestamps.stagingVerdict = timestamp;
    upsertSearchAttributes([{ key: StagingStatusKey, value: status }]);
    return status;
  }

  /** Merges the feature branch's pull request; returns a failure reason, or null when it is merged. */
  private async mergeFeatureBranch(): Promise<string | null> {
    this.enterPhase('merging', `Merging the pull request of ${this.input.featureBranch}`);
    const merge = await quick.mergeFeatureBranch.executeWithOptions(
      { summary: `merge guard, then merge ${this.input.featureBranch}` },
      [
        {
          projectId: this.input.projectId,
          workItemId: this.input.workItemId,
          branch: this.input.featureBranch,
          number: this.input.pullRequestNumber,
        },
      ],
    );
    this.state.pullRequestNumber = merge.pullRequestNumber;
    if (merge.outcome === 'merged' || merge.outcome === 'already-merged') return null;
    return merge.reason;
  }

  private async syncDeploy(): Promise<HookOutcome> {
    this.enterPhase('deploying', `Running the deploy hook on ${this.plan.hostName}`);
    return git.runHook.executeWithOptions(
      {
        summary: `deploy hook on ${this.plan.hostName} (synchronous)`,
        startToCloseTimeout: this.plan.hookTimeoutMs + 120_000,
        heartbeatTimeout: heartbeatTimeoutFor(this.plan),
        retry: { ...retry, maximumAttempts: 5 },
      },
      [this.hookRequest()],
    );
  }

  /** Phases A, B and C of the self-hosting deploy; returns null when nothing was deployed. */
  private async selfDeploy(): Promise<HookOutcome | null> {
    const approved = await this.awaitApproval();
    if (!approved) return null;

    this.enterPhase('launching', `Launching the deploy hook on ${this.plan.hostName}`);
    const request = this.hookRequest();
    // The launcher call itself is bounded at 30 s, and a worker killed mid-launch delays the retry by this timeout.
    const launch = await git.launchHook.executeWithOptions(
      { summary: `launch deploy hook detached on ${this.plan.hostName}`, startToCloseTimeout: '45s' },
      [request],
    );
    this.state.launch = launch;
    this.state.timestamps.launched = launch.launchedAt;

    this.enterPhase('awaiting-hook', `Waiting for the hook's exit code (pid ${launch.pid} on ${launch.host})`);
    return git.awaitHookExit.executeWithOptions(
      {
        summary: `wait for hook exit code, polling every ${this.plan.pollIntervalMs / 1000}s`,
        startToCloseTimeout: this.plan.hookTimeoutMs + 300_000,
        heartbeatTimeout: heartbeatTimeoutFor(this.plan),
      },
      [{ ...request, launch }],
    );
  }

  private async awaitApproval(): Promise<boolean> {
    const requestedAt = new Date();
    const deadline = new Date(requestedAt.getTime() + this.plan.approvalTimeoutMs);
    const earlyAnswers = this.approval.open(requestedAt.toISOString(), deadline.toISOString());
    if (earlyAnswers.some((answer) => answer.counted)) this.state.timestamps.approvalDecided = requestedAt.toISOString();
    this.state.approval = this.approval.view;
    this.enterPhase(
      'awaiting-approval',
      `Waiting until ${deadline.toISOString()} for an \`approve\` signal with input \`{"approver":"<login>"}\` ` +
        `from ${this.plan.approvers.join(' or ')}`,
    );
    await this.moveTracker('approval-pending', this.approvalComment(deadline));

    const decided = await condition(() => this.approval.decided, this.plan.approvalTimeoutMs, {
      summary: `approval deadline ${deadline.toISOString()}`,
    });
    this.approval.close();
    this.state.approval = this.approval.view;
    if (!decided) {
      this.state.reason = `approval timed out after ${formatDuration(this.plan.approvalTimeoutMs)} with no approve from an allowed approver`;
      return false;
    }
    if (this.approval.view.rejectedBy !== null) {
      this.state.reason = `rejected by ${this.approval.view.rejectedBy}: ${this.approval.rejectReason ?? ''}`;
      return false;
    }
    return true;
  }

  private async finalizeDeploy(outcome: HookOutcome | null, failedBefore: string | null): Promise<DeployResult> {
    this.enterPhase('finalizing', 'Writing the deploy verdict');
    const exitCode = outcome?.exitCode ?? null;
    const status: Status = failedBefore === null && exitCode === 0 ? 'SUCCESS' : 'FAILED';
    const reason = failedBefore ?? hookReason(outcome);
    const timestamp = new Date().toISOString();
    this.state.hookExitCode = exitCode;

    await git.recordVerdict.executeWithOptions({ summary: `write 14-deploy-log.md: ${status}` }, [
      {
        projectId: this.input.projectId,
        workItemId: this.input.workItemId,
        kind: 'deploy',
        fields: deployFields({ status, timestamp, input: this.input, state: this.state, reason, workflowId: this.info.workflowId }),
        body: deployBody(status, reason, outcome),
        workflowId: this.info.workflowId,
      },
    ]);
    await this.moveTracker(status === 'SUCCESS' ? 'done' : 'development', `deploy ${status}${reason ? `: ${reason}` : ''}`);
    return this.finish(status, reason);
  }

  private finish(deployStatus: Status | null, reason: string | null): DeployResult {
    this.state.deployStatus = deployStatus;
    this.state.reason = reason;
    this.state.timestamps.finished = new Date().toISOString();
    this.enterPhase('finished', this.finishedDetails());
    if (deployStatus !== null) upsertSearchAttributes([{ key: DeployStatusKey, value: deployStatus }]);
    return {
      projectId: this.input.projectId,
      workItemId: this.input.workItemId,
      stagingStatus: this.state.stagingStatus ?? 'FAILED',
      deployStatus,
      reason,
      hookExitCode: this.state.hookExitCode,
    };
  }

  /** Current details of a finished deploy: both verdicts, who approved, the hook exit code and the reason. */
  private finishedDetails(): string {
    const { stagingStatus, deployStatus, approval, hookExitCode, reason } = this.state;
    const parts = [`staging **${stagingStatus ?? 'not run'}**`, `deploy **${deployStatus ?? 'not run'}**`];
    if (approval.approver !== null) parts.push(`approved by ${approval.approver}`);
    if (hookExitCode !== null) parts.push(`hook exit code ${hookExitCode}`);
    return `${parts.join(', ')}${reason === null ? '' : `. Reason: ${reason}`}`;
  }

  private async moveTracker(to: 'approval-pending' | 'done' | 'development', comment: string): Promise<void> {
    await quick.moveWorkItem.executeWithOptions({ summary: `tracker: ${this.input.workItemId} to ${to}` }, [
      { projectId: this.input.projectId, workItemId: this.input.workItemId, to, comment },
    ]);
  }

  private hookRequest(): HookRequest {
    return {
      projectId: this.input.projectId,
      workItemId: this.input.workItemId,
      deployId: this.state.deployId ?? deployIdOf(this.info.workflowId, this.info.firstExecutionRunId),
      imageReference: this.input.imageReference,
      approver: this.approval.view.approver ?? undefined,
      workflowId: this.info.workflowId,
    };
  }

  private approvalComment(deadline: Date): string {
    const { workflowId } = this.info;
    const link = `${this.plan.uiUrl}/namespaces/${this.plan.namespace}/workflows/${workflowId}`;
    return [
      `Deploy of ${this.input.imageReference} is waiting for approval until ${deadline.toISOString()}.`,
      `Approve: temporal workflow signal --workflow-id ${workflowId} --name approve --input '{"approver":"<you>"}'`,
      `Reject: temporal workflow signal --workflow-id ${workflowId} --name reject --input '{"approver":"<you>","reason":"<why>"}'`,
      `Allowed approvers: ${this.plan.approvers.join(', ')} (not the requester, ${this.input.requestedBy}).`,
      `Trace: ${link}`,
    ].join('\n');
  }

  private enterPhase(phase: Phase, details: string): void {
    if (phase === 'launching' || phase === 'deploying') {
      this.state.deployId ??= deployIdOf(this.info.workflowId, this.info.firstExecutionRunId);
    }
    this.state.phase = phase;
    setCurrentDetails(`**${phase}**: ${details}`);
    if (phase === 'awaiting-approval' || phase === 'finished' || phase === 'launching' || phase === 'deploying') {
      upsertSearchAttributes([{ key: DeployPhaseKey, value: phase }]);
    }
  }
}

/** Signal payloads come from people typing JSON, so anything that is not an object is treated as empty. */
function objectOrEmpty(payload: unknown): Record<string, unknown> {
  return payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {};
}

/**
 * Derives the deploy id: the same across retries and worker restarts, new for every run. The first
 * 8 hex digits of a UUIDv7 run id are a timestamp that changes only every 65 s. Two runs started
 * within that window got the same id, so the second found the first's launch record and never ran
 * its hook. The id now ends with the run id's last 12 hex digits, which are random. Runs that
 * started before this change keep the old id on replay.
 */
function deployIdOf(workflowId: string, firstRunId: string): string {
  if (!patched('deploy-id-random-run-id-digits')) return `${workflowId}.${firstRunId.slice(0, 8)}`;
  return `${workflowId}.${firstRunId.replaceAll('-', '').slice(-12)}`;
}

function formatDuration(ms: number): string {
  if (ms >= 3_600_000) return `${+(ms / 3_600_000).toFixed(2)} h`;
  if (ms >= 60_000) return `${+(ms / 60_000).toFixed(2)} min`;
  return `${+(ms / 1000).toFixed(2)} s`;
}

/** The hook activities heartbeat every 3 s on a timer, so 15 s without one means the worker is gone. */
function heartbeatTimeoutFor(plan: DeployPlan): number {
  return Math.max(15_000, plan.pollIntervalMs * 3);
}

function hookReason(outcome: HookOutcome | null): string | null {
  if (outcome === null) return 'not deployed';
  if (outcome.result === 'vanished') return `hook vanished without an exit code: ${outcome.detail}`;
  if (outcome.result === 'timed-out') return `hook timed out: ${outcome.detail}`;
  return outcome.exitCode === 0 ? null : `hook exited with code ${outcome.exitCode}`;
}

function initialState(input: DeployInput, workflowId: string, started: string): DeployStatusView {
  return {
    workflowId,
    projectId: input.projectId,
    workItemId: input.workItemId,
    requestedBy: input.requestedBy,
    imageReference: input.imageReference,
    phase: 'starting',
    stagingStatus: null,
    deployStatus: null,
    reason: null,
    pullRequestNumber: input.pullRequestNumber ?? null,
    approval: { pending: false, requestedAt: null, deadline: null, approver: null, comment: null, rejectedBy: null, ignored: [] },
    deployId: null,
    launch: null,
    hookExitCode: null,
    timestamps: { started, stagingVerdict: null, approvalDecided: null, launched: null, finished: null },
  };
}

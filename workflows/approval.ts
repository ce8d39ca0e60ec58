/** Approval bookkeeping of the deploy workflow: who may approve, and what each decision did. */
import { payloadProblem } from './decision-payload.js';
import type { Decision, DecisionAnswer, DeployStatusView, IgnoredDecision, Phase } from './messages.js';

/** Ignored decisions kept in state; older ones are dropped so a flood of signals cannot grow it. */
const MAX_IGNORED = 20;
/** Decisions kept until the window opens. Past this count, a decision is judged at once and ignored. */
const MAX_EARLY_DECISIONS = 20;

type ApprovalView = DeployStatusView['approval'];

/** Tracks the pending approval and evaluates each incoming decision against the rules. */
export class ApprovalGate {
  readonly view: ApprovalView = {
    pending: false,
    requestedAt: null,
    deadline: null,
    approver: null,
    comment: null,
    rejectedBy: null,
    ignored: [],
  };
  rejectReason: string | null = null;

  /**
   * @param earlyDecisions decisions that arrived before the window opened, carried over from an earlier gate.
   */
  constructor(
    private readonly approvers: readonly string[],
    private readonly requestedBy: string,
    readonly earlyDecisions: Decision[] = [],
  ) {}

  /** True once an approval or a rejection has counted. */
  get decided(): boolean {
    return this.view.approver !== null || this.view.rejectedBy !== null;
  }

  /** Opens the approval window, then applies the early decisions in arrival order and returns the result of each. */
  open(requestedAt: string, deadline: string): DecisionAnswer[] {
    this.view.pending = true;
    this.view.requestedAt = requestedAt;
    this.view.deadline = deadline;
    const early = this.earlyDecisions.splice(0);
    return early.map((decision) => this.apply(decision, 'awaiting-approval', requestedAt));
  }

  /** Closes the approval window, whether decided or timed out. */
  close(): void {
    this.view.pending = false;
  }

  /** Returns why a decision would not count, or null when it would. Changes nothing. */
  check(decision: Decision, phase: Phase): string | null {
    const invalid = decisionProblem(decision);
    if (invalid !== null) return invalid;
    if (this.decided) return `already decided by ${this.view.approver ?? this.view.rejectedBy}`;
    if (!this.view.pending) return `no approval is pending (phase ${phase})`;
    if (decision.approver === this.requestedBy) return `${decision.approver} requested this deploy and cannot decide on it`;
    if (!this.approvers.includes(decision.approver)) return `${decision.approver} is not an allowed approver`;
    return null;
  }

  /** Applies a decision: counts it when allowed, else records it as ignored. */
  apply(decision: Decision, phase: Phase, now: string): DecisionAnswer {
    // After a worker crash, replay can deliver a signal before the code that opened the window runs
    // again, although the tracker already showed approval-pending. Such a decision is held, not lost.
    if (this.view.requestedAt === null && decisionProblem(decision) === null && this.earlyDecisions.length < MAX_EARLY_DECISIONS) {
      this.earlyDecisions.push(decision);
      return { counted: false, reason: 'held until the approval window opens', phase };
    }
    const reason = this.check(decision, phase);
    if (reason !== null) {
      this.ignore({ approver: approverLabel(decision.approver), decision: decision.decision, reason, at: now });
      return { counted: false, reason, phase };
    }
    if (decision.decision === 'approve') {
      this.view.approver = decision.approver;
      this.view.comment = decision.comment ?? null;
    } else {
      this.view.rejectedBy = decision.approver;
      this.rejectReason = decision.reason;
    }
    this.view.pending = false;
    return { counted: true, reason: `${decision.decision} by ${decision.approver} counted`, phase };
  }

  private ignore(entry: IgnoredDecision): void {
    this.view.ignored.push(entry);
    if (this.view.ignored.length > MAX_IGNORED) this.view.ignored.shift();
  }
}

/** Returns why a decision's payload is invalid, or null when it is valid. */
function decisionProblem(decision: Decision): string | null {
  const { decision: kind, ...payload } = decision;
  const problem = payloadProblem(kind, payload);
  return problem === null ? null : `invalid ${kind} payload: ${problem}`;
}

/** Labels the sender of an ignored decision; a payload without a string approver shows as "(missing)". */
export function approverLabel(approver: unknown): string {
  return typeof approver === 'string' ? approver.slice(0, 64) : '(missing)';
}

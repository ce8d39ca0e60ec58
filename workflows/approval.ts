/** Approval bookkeeping of the deploy workflow: who may approve, and what each decision did. */
import { payloadProblem } from './decision-payload.js';
import type { Decision, DecisionAnswer, DeployStatusView, IgnoredDecision, Phase } from './messages.js';

/** Ignored decisions kept in state; older ones are dropped so a flood of signals cannot grow it. */
const MAX_IGNORED = 20;

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

  constructor(
    private readonly approvers: readonly string[],
    private readonly requestedBy: string,
  ) {}

  /** True once an approval or a rejection has counted. */
  get decided(): boolean {
    return this.view.approver !== null || this.view.rejectedBy !== null;
  }

  /** Opens the approval window. */
  open(requestedAt: string, deadline: string): void {
    this.view.pending = true;
    this.view.requestedAt = requestedAt;
    this.view.deadline = deadline;
  }

  /** Closes the approval window, whether decided or timed out. */
  close(): void {
    this.view.pending = false;
  }

  /** Returns why a decision would not count, or null when it would. Changes nothing. */
  check(decision: Decision, phase: Phase): string | null {
    const { decision: _kind, ...payload } = decision;
    const problem = payloadProblem(decision.decision, payload);
    if (problem !== null) return `invalid ${decision.decision} payload: ${problem}`;
    if (this.decided) return `already decided by ${this.view.approver ?? this.view.rejectedBy}`;
    if (!this.view.pending) return `no approval is pending (phase ${phase})`;
    if (decision.approver === this.requestedBy) return `${decision.approver} requested this deploy and cannot decide on it`;
    if (!this.approvers.includes(decision.approver)) return `${decision.approver} is not an allowed approver`;
    return null;
  }

  /** Applies a decision: counts it when allowed, else records it as ignored. */
  apply(decision: Decision, phase: Phase, now: string): DecisionAnswer {
    const reason = this.check(decision, phase);
    if (reason !== null) {
      this.ignore({ approver: String(decision.approver).slice(0, 64), decision: decision.decision, reason, at: now });
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

/**
 * Bench-only workflow: the same sequence of local activities, normal activities and approval wait
 * as a deploy, read from a recorded deploy history, with no-op activities and no workflow logic.
 */
import { condition, defineSignal, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { BareActivities } from './instant-activities.js';

/** One step of a deploy history: a local activity, a normal activity, or the wait for `approve`. */
export type BareStep = 'local' | 'normal' | 'approval';

const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' };
const local = proxyLocalActivities<BareActivities>({ startToCloseTimeout: '1m', localRetryThreshold: '10s', retry });
const normal = proxyActivities<BareActivities>({ startToCloseTimeout: '5m', heartbeatTimeout: '1m', retry });
const approveSignal = defineSignal<[unknown]>('approve');

/** Runs the steps in order; the activity before an approval step requests that the worker send `approve`. */
export async function bareWorkflow(steps: BareStep[]): Promise<number> {
  let approved = false;
  setHandler(approveSignal, () => {
    approved = true;
  });
  for (const [index, step] of steps.entries()) {
    if (step === 'approval') {
      await condition(() => approved, '72h');
      continue;
    }
    const activities = step === 'local' ? local : normal;
    await activities.benchNoop({ requestApproval: steps[index + 1] === 'approval' });
  }
  return steps.length;
}

/** Reads facts out of recorded workflow histories: size, activity steps and completion times. */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import type { BareStep } from './bare-workflow.js';

/** A workflow history as the client fetches it. */
export type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

/** Number of events and server-side size in bytes of one closed workflow's history. */
export interface HistorySize {
  events: number;
  bytes: number;
}

/** Fetches a workflow's history with its event count and the size the server reports. */
export async function historyOf(client: Client, workflowId: string): Promise<{ history: History; size: HistorySize }> {
  const handle = client.workflow.getHandle(workflowId);
  const [history, description] = await Promise.all([handle.fetchHistory(), handle.describe()]);
  const events = history.events?.length ?? 0;
  return { history, size: { events, bytes: description.historySize ?? Number.NaN } };
}

/** Lists the local activities, normal activities and approval waits of a history, in order. */
export function stepsOf(history: History): BareStep[] {
  const steps: BareStep[] = [];
  for (const event of history.events ?? []) {
    if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity') steps.push('local');
    if (event.activityTaskScheduledEventAttributes) steps.push('normal');
    if (event.timerStartedEventAttributes) steps.push('approval');
  }
  return steps;
}

/** One normal activity of a history: its type and when it was scheduled and completed (epoch ms). */
export interface ActivityTiming {
  activityType: string;
  scheduledMs: number;
  completedMs: number;
}

/** Lists the completed normal activities of a history with their event times. */
export function activityTimings(history: History): ActivityTiming[] {
  const scheduled = new Map<string, { activityType: string; scheduledMs: number }>();
  const timings: ActivityTiming[] = [];
  for (const event of history.events ?? []) {
    const attributes = event.activityTaskScheduledEventAttributes;
    if (attributes) {
      const activityType = attributes.activityType?.name ?? 'unknown';
      scheduled.set(String(event.eventId), { activityType, scheduledMs: tsToMs(event.eventTime) });
    }
    const completed = event.activityTaskCompletedEventAttributes;
    const start = completed ? scheduled.get(String(completed.scheduledEventId)) : undefined;
    if (start) timings.push({ ...start, completedMs: tsToMs(event.eventTime) });
  }
  return timings;
}

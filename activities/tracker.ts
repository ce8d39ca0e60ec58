import { log } from '@temporalio/activity';
import type { TrackerConfig } from '../shared/config.js';
import type { ActivityDeps } from './context.js';
import { failure, FailureType } from './failure.js';
import { faultPoint } from './faults.js';
import {
  getWorkItem,
  listStates,
  postComment,
  setWorkItemState,
  type PlaneConnection,
} from './plane-client.js';
import type { DeployActivities, MoveWorkItemRequest, TrackerState } from './types.js';

type PlaneTrackerConfig = Extract<TrackerConfig, { kind: 'plane' }>;

/** Builds the tracker activity: Plane over its REST API, or log lines with `tracker.kind: none`. */
export function createTrackerActivities(deps: ActivityDeps): Pick<DeployActivities, 'moveWorkItem'> {
  const tracker = deps.config.tracker;
  const env = deps.env ?? process.env;

  async function moveWorkItem(request: MoveWorkItemRequest): Promise<{ changed: boolean }> {
    if (tracker.kind === 'none') {
      log.info('Tracker transition (tracker kind none, nothing sent)', {
        projectId: request.projectId,
        workItemId: request.workItemId,
        to: request.to,
        comment: request.comment,
      });
      await faultPoint(`tracker-${request.to}`);
      return { changed: true };
    }
    return moveOnPlane(tracker, connectionFor(tracker, env), request);
  }

  return { moveWorkItem };
}

/**
 * Moves a Plane work item to the state named for `request.to`. A work item already in that state is
 * left alone and gets no comment; otherwise the comment is posted after the state changed.
 */
async function moveOnPlane(
  tracker: PlaneTrackerConfig,
  plane: PlaneConnection,
  request: MoveWorkItemRequest,
): Promise<{ changed: boolean }> {
  const item = await getWorkItem(plane, request.workItemId);
  const stateName = stateNameFor(tracker, request.to);
  const states = await listStates(plane, item.projectId);
  const target = states.find((state) => state.name === stateName);
  if (!target) {
    const known = states.map((state) => state.name).join(', ') || 'none';
    throw failure(
      FailureType.TrackerRejected,
      `Plane project of ${request.workItemId} has no state named "${stateName}" (states: ${known}); ` +
        `set tracker.states to the names used in Plane`,
    );
  }
  if (item.stateId === target.id) {
    log.info('Tracker state already set', { workItemId: request.workItemId, state: stateName });
    return { changed: false };
  }

  await setWorkItemState(plane, item, target.id);
  // NOTE: if this attempt fails after the state change but before the comment, the retry finds the
  // state already set and posts no comment.
  if (request.comment) await postComment(plane, item, commentToHtml(request.comment));
  await faultPoint(`tracker-${request.to}`);
  log.info('Tracker state changed', { workItemId: request.workItemId, state: stateName, commented: !!request.comment });
  return { changed: true };
}

function connectionFor(tracker: PlaneTrackerConfig, env: NodeJS.ProcessEnv): PlaneConnection {
  const apiKey = env[tracker.apiKeyEnv];
  if (apiKey === undefined || apiKey === '') {
    throw failure(
      FailureType.MissingSecret,
      `missing secret: environment variable ${tracker.apiKeyEnv} (Plane API key) is not set for the worker`,
    );
  }
  return {
    baseUrl: tracker.baseUrl,
    workspace: tracker.workspace,
    apiKey,
    timeoutMs: tracker.requestTimeoutSeconds * 1000,
  };
}

function stateNameFor(tracker: PlaneTrackerConfig, to: TrackerState): string {
  const names: Record<TrackerState, string> = {
    'approval-pending': tracker.states.approvalPending,
    done: tracker.states.done,
    development: tracker.states.development,
  };
  return names[to];
}

/** Renders plain text as HTML paragraphs, escaping every character HTML treats specially. */
export function commentToHtml(text: string): string {
  return text
    .split(/\r?\n\s*\r?\n/)
    .map((paragraph) => `<p>${escapeHtml(paragraph.trim()).replace(/\r?\n/g, '<br>')}</p>`)
    .join('');
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

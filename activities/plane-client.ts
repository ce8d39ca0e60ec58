/**
 * Minimal client for Plane's public REST API (v1): read a work item by its identifier, list the
 * project's states, set the work item's state and post a comment. Failures become the tracker
 * failure types: 5xx, 429, timeouts and network errors retry, other 4xx responses do not.
 */
import { z } from 'zod';
import { failure, FailureType } from './failure.js';

const MAX_STATE_PAGES = 20;

/** Connection settings for one Plane workspace. */
export interface PlaneConnection {
  baseUrl: string;
  workspace: string;
  apiKey: string;
  timeoutMs: number;
}

/** The parts of a Plane work item that a state transition needs. */
export interface PlaneWorkItem {
  id: string;
  projectId: string;
  stateId: string;
}

export interface PlaneState {
  id: string;
  name: string;
}

const projectSchema = z.object({ id: z.string(), identifier: z.string() });
const workItemSchema = z.object({ id: z.string(), project: z.string(), state: z.string() });
const statePageSchema = z.object({
  results: z.array(z.object({ id: z.string(), name: z.string() })),
  next_cursor: z.string().nullish(),
  next_page_results: z.boolean().nullish(),
});

/** Reads a work item by its identifier such as `ORCH-65`. */
export async function getWorkItem(plane: PlaneConnection, identifier: string): Promise<PlaneWorkItem> {
  const body = await planeRequest(plane, { method: 'GET', path: `work-items/${encodeURIComponent(identifier)}/` });
  const item = parseResponse(workItemSchema, body, `work item ${identifier}`);
  return { id: item.id, projectId: item.project, stateId: item.state };
}

/** Reads a project by its id and returns its identifier, the prefix of its work item ids such as `ORCH`. */
export async function getProjectIdentifier(plane: PlaneConnection, projectId: string): Promise<string> {
  const body = await planeRequest(plane, { method: 'GET', path: `projects/${encodeURIComponent(projectId)}/` });
  return parseResponse(projectSchema, body, `project ${projectId}`).identifier;
}

/** Lists every state of a project, following Plane's cursor pagination. */
export async function listStates(plane: PlaneConnection, projectId: string): Promise<PlaneState[]> {
  const states: PlaneState[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_STATE_PAGES; page += 1) {
    const query = new URLSearchParams({ per_page: '100', ...(cursor ? { cursor } : {}) });
    const body = await planeRequest(plane, {
      method: 'GET',
      path: `projects/${encodeURIComponent(projectId)}/states/?${query.toString()}`,
    });
    const parsed = parseResponse(statePageSchema, body, `states of project ${projectId}`);
    states.push(...parsed.results.map(({ id, name }) => ({ id, name })));
    if (!parsed.next_page_results || !parsed.next_cursor) return states;
    cursor = parsed.next_cursor;
  }
  return states;
}

/** Sets the state of a work item. */
export async function setWorkItemState(plane: PlaneConnection, item: PlaneWorkItem, stateId: string): Promise<void> {
  await planeRequest(plane, {
    method: 'PATCH',
    path: `projects/${encodeURIComponent(item.projectId)}/work-items/${encodeURIComponent(item.id)}/`,
    body: { state: stateId },
  });
}

/** Posts a comment, already rendered as HTML, on a work item. */
export async function postComment(plane: PlaneConnection, item: PlaneWorkItem, commentHtml: string): Promise<void> {
  await planeRequest(plane, {
    method: 'POST',
    path: `projects/${encodeURIComponent(item.projectId)}/work-items/${encodeURIComponent(item.id)}/comments/`,
    body: { comment_html: commentHtml },
  });
}

/** Sends one request under /api/v1/workspaces/{workspace}/ and returns the parsed JSON body. */
async function planeRequest(
  plane: PlaneConnection,
  request: { method: string; path: string; body?: unknown },
): Promise<unknown> {
  const base = plane.baseUrl.endsWith('/') ? plane.baseUrl : `${plane.baseUrl}/`;
  const url = new URL(`api/v1/workspaces/${encodeURIComponent(plane.workspace)}/${request.path}`, base);
  const what = `Plane ${request.method} ${url.pathname}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: request.method,
      headers: { 'X-API-Key': plane.apiKey, Accept: 'application/json', 'Content-Type': 'application/json' },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(plane.timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    const reason = timedOut ? `timed out after ${plane.timeoutMs} ms` : 'failed to connect';
    throw failure(FailureType.TrackerUnavailable, `${what} ${reason}; the activity retries`, error);
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) throw statusFailure(what, response.status);
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw failure(FailureType.TrackerUnavailable, `${what} returned a body that is not JSON`, error);
  }
}

function statusFailure(what: string, status: number) {
  if (status >= 500 || status === 429) {
    return failure(FailureType.TrackerUnavailable, `${what} returned HTTP ${status}; the activity retries`);
  }
  const hints: Record<number, string> = {
    401: 'check the API key in the environment variable named by tracker.apiKeyEnv',
    403: 'the API key has no access to this workspace or project',
    404: 'check tracker.workspace and that the work item exists in Plane',
  };
  const hint = hints[status] ?? 'the request was rejected';
  return failure(FailureType.TrackerRejected, `${what} returned HTTP ${status}: ${hint}`);
}

function parseResponse<T extends z.ZodType>(schema: T, body: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(body);
  if (!result.success) {
    throw failure(FailureType.TrackerUnavailable, `Plane returned an unexpected shape for ${what}`, result.error);
  }
  return result.data;
}

/**
 * Stand-in for Plane's REST API on 127.0.0.1: project list, work item by identifier, project states, state
 * PATCH and comments, under both the `issues` and the newer `work-items` paths, with Plane's status
 * codes and an X-API-Key check. State lives in memory; tests read it back and can queue failures.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PlaneStandinOptions {
  apiKey: string;
  workspace: string;
  /** Projects keyed by identifier such as `ORCH`, each with its state names and work items. */
  projects: Record<string, { states: string[]; workItems: Array<{ sequence: number; state: string }> }>;
}

/** One request as the stand-in received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

/** A queued fault for the next request: an HTTP status, or a delay before the normal response. */
export type InjectedFault = { status: number } | { delayMs: number };

/** The user in a webhook's `activity.actor`, as Plane's lite user serializer writes it. */
export interface PlaneActor {
  id: string;
  email: string;
  display_name: string;
}

/** A webhook body in Plane's format: event, action, ids, the work item as `data` and the change as `activity`. */
export type PlaneWebhookBody = Record<string, unknown>;

export interface PlaneStandin {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Current state name and comments (HTML) of a work item such as `ORCH-65`. */
  workItem(identifier: string): { state: string; comments: string[] };
  /**
   * Moves a work item as a person would in Plane's UI and returns the body of the `issue` webhook
   * that Plane sends for that change.
   */
  moveByUser(options: { identifier: string; state: string; actor: PlaneActor }): PlaneWebhookBody;
  /** Queues faults that the next requests receive, one each, in order. */
  injectFaults(...faults: InjectedFault[]): void;
  close(): Promise<void>;
}

interface WorkItem {
  id: string;
  identifier: string;
  projectId: string;
  sequence: number;
  stateId: string;
  comments: string[];
}

interface Project {
  id: string;
  identifier: string;
  states: Array<{ id: string; name: string }>;
}

/** Starts the stand-in on a free port of 127.0.0.1. */
export async function startPlaneStandin(options: PlaneStandinOptions): Promise<PlaneStandin> {
  const projects = new Map<string, Project>();
  const workItems = new Map<string, WorkItem>();
  for (const [identifier, spec] of Object.entries(options.projects)) {
    const project: Project = { id: randomUUID(), identifier, states: spec.states.map((name) => ({ id: randomUUID(), name })) };
    projects.set(project.id, project);
    for (const item of spec.workItems) {
      const stateId = project.states.find((state) => state.name === item.state)?.id;
      if (!stateId) throw new Error(`work item ${identifier}-${item.sequence}: unknown state "${item.state}"`);
      const key = `${identifier}-${item.sequence}`;
      workItems.set(key, { id: randomUUID(), identifier: key, projectId: project.id, sequence: item.sequence, stateId, comments: [] });
    }
  }

  const requests: RecordedRequest[] = [];
  const faults: InjectedFault[] = [];
  const routes = new Routes(options.workspace, projects, workItems);
  const resultFor = (req: http.IncomingMessage, body: unknown, fault: InjectedFault | undefined): Result => {
    if (fault && 'status' in fault) return { status: fault.status, body: { error: 'injected fault' } };
    if (req.headers['x-api-key'] !== options.apiKey) {
      return { status: 401, body: { detail: 'Given API token is not valid' } };
    }
    return routes.handle(req.method ?? 'GET', new URL(req.url ?? '/', 'http://127.0.0.1'), body);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = parseJson(raw);
      requests.push({ method: req.method ?? '', path: req.url ?? '', body });
      const fault = faults.shift();
      const respond = () => {
        const result = resultFor(req, body, fault);
        if (res.destroyed) return;
        res.writeHead(result.status, { 'Content-Type': 'application/json' });
        res.end(result.body === undefined ? '' : JSON.stringify(result.body));
      };
      if (fault && 'delayMs' in fault) setTimeout(respond, fault.delayMs);
      else respond();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    workItem(identifier) {
      const item = workItems.get(identifier);
      if (!item) throw new Error(`no work item ${identifier} in the Plane stand-in`);
      const state = projects.get(item.projectId)?.states.find((candidate) => candidate.id === item.stateId);
      return { state: state?.name ?? '', comments: [...item.comments] };
    },
    moveByUser({ identifier, state, actor }) {
      const item = workItems.get(identifier);
      const project = item && projects.get(item.projectId);
      const target = project?.states.find((candidate) => candidate.name === state);
      if (!item || !project || !target) throw new Error(`no work item ${identifier} with a state "${state}" in the Plane stand-in`);
      const oldStateId = item.stateId;
      item.stateId = target.id;
      return webhookBody({ workspace: options.workspace, item, state: target, oldStateId, actor });
    },
    injectFaults(...more) {
      faults.push(...more);
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Result = { status: number; body?: unknown };

/** Request routing for the endpoints that the tracker activity uses. */
class Routes {
  constructor(
    private readonly workspace: string,
    private readonly projects: Map<string, Project>,
    private readonly workItems: Map<string, WorkItem>,
  ) {}

  handle(method: string, url: URL, body: unknown): Result {
    const prefix = `/api/v1/workspaces/${this.workspace}/`;
    if (!url.pathname.startsWith(prefix)) return { status: 404, body: { detail: 'Not found.' } };
    const rest = url.pathname.slice(prefix.length);

    if (rest === 'projects/' && method === 'GET') return this.listProjects();
    const byIdentifier = /^(?:issues|work-items)\/([A-Z][A-Z0-9]*-\d+)\/$/.exec(rest);
    if (byIdentifier && method === 'GET') return this.getByIdentifier(byIdentifier[1]!);
    const project = /^projects\/([0-9a-f-]+)\/$/.exec(rest);
    if (project && method === 'GET') return this.getProject(project[1]!);
    const states = /^projects\/([0-9a-f-]+)\/states\/$/.exec(rest);
    if (states && method === 'GET') return this.listStates(states[1]!);
    const detail = /^projects\/([0-9a-f-]+)\/(?:issues|work-items)\/([0-9a-f-]+)\/$/.exec(rest);
    if (detail && method === 'PATCH') return this.patchItem(detail[1]!, detail[2]!, body);
    const comments = /^projects\/([0-9a-f-]+)\/(?:issues|work-items)\/([0-9a-f-]+)\/comments\/$/.exec(rest);
    if (comments && method === 'POST') return this.postComment(comments[1]!, comments[2]!, body);
    if (byIdentifier || project || states || detail || comments) return { status: 405, body: { detail: `Method "${method}" not allowed.` } };
    return { status: 404, body: { detail: 'Not found.' } };
  }

  private listProjects(): Result {
    const results = [...this.projects.values()].map((project) => ({ id: project.id }));
    return { status: 200, body: { results, next_cursor: null, next_page_results: false, total_results: results.length } };
  }

  private getByIdentifier(identifier: string): Result {
    const item = this.workItems.get(identifier);
    if (!item) return { status: 404, body: { error: 'The requested resource does not exist.' } };
    return { status: 200, body: this.serialize(item) };
  }

  private getProject(projectId: string): Result {
    const project = this.projects.get(projectId);
    if (!project) return { status: 404, body: { error: 'The requested resource does not exist.' } };
    return { status: 200, body: { id: project.id, identifier: project.identifier, name: project.identifier } };
  }

  private listStates(projectId: string): Result {
    const project = this.projects.get(projectId);
    if (!project) return { status: 404, body: { error: 'The requested resource does not exist.' } };
    const results = project.states.map((state) => ({ id: state.id, name: state.name, project: projectId }));
    return {
      status: 200,
      body: { results, next_cursor: null, next_page_results: false, total_results: results.length },
    };
  }

  private patchItem(projectId: string, itemId: string, body: unknown): Result {
    const item = this.findItem(projectId, itemId);
    if (!item) return { status: 404, body: { error: 'The requested resource does not exist.' } };
    const stateId = (body as { state?: unknown } | null)?.state;
    const project = this.projects.get(projectId)!;
    if (typeof stateId !== 'string' || !project.states.some((state) => state.id === stateId)) {
      return { status: 400, body: { state: ['Invalid pk - object does not exist.'] } };
    }
    item.stateId = stateId;
    return { status: 200, body: this.serialize(item) };
  }

  private postComment(projectId: string, itemId: string, body: unknown): Result {
    const item = this.findItem(projectId, itemId);
    if (!item) return { status: 404, body: { error: 'The requested resource does not exist.' } };
    const html = (body as { comment_html?: unknown } | null)?.comment_html;
    if (typeof html !== 'string' || html === '') return { status: 400, body: { comment_html: ['This field is required.'] } };
    item.comments.push(html);
    return { status: 201, body: { id: randomUUID(), comment_html: html, issue: item.id, project: projectId } };
  }

  private findItem(projectId: string, itemId: string): WorkItem | undefined {
    return [...this.workItems.values()].find((item) => item.id === itemId && item.projectId === projectId);
  }

  private serialize(item: WorkItem) {
    return { id: item.id, sequence_id: item.sequence, project: item.projectId, state: item.stateId, name: item.identifier };
  }
}

/** Builds an `issue` update webhook body with the fields Plane's webhook task sends for a state change. */
function webhookBody(options: {
  workspace: string;
  item: WorkItem;
  state: { id: string; name: string };
  oldStateId: string;
  actor: PlaneActor;
}): PlaneWebhookBody {
  const { item, state, actor } = options;
  return {
    event: 'issue',
    action: 'updated',
    webhook_id: randomUUID(),
    workspace_id: options.workspace,
    data: {
      id: item.id,
      name: `Work item ${item.identifier}`,
      sequence_id: item.sequence,
      project: item.projectId,
      state: { id: state.id, name: state.name, color: '#26b5ce', group: 'started' },
      description_html: '<p></p>',
    },
    activity: {
      field: 'state_id',
      old_value: options.oldStateId,
      new_value: state.id,
      actor: { ...actor, first_name: actor.display_name, last_name: '', avatar: '' },
      old_identifier: null,
      new_identifier: null,
    },
  };
}

function parseJson(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

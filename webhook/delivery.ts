/**
 * Decides what one Plane webhook delivery does: reject it (401, 400), ignore it (200), or send
 * `approve` to the deploy workflow of the work item that a person moved to the approved state.
 */
import { deployWorkflowId } from '../client/deploys.js';
import { identitySchema, shorten, workItemIdSchema } from '../shared/ids.js';
import { describeValidationError } from '../shared/input.js';
import type { ApprovePayload } from '../workflows/messages.js';
import {
  activitySchema,
  envelopeSchema,
  STATE_FIELDS,
  workItemDataSchema,
  type Activity,
  type WorkItemData,
} from './payload.js';
import { verifyPlaneSignature } from './signature.js';

/** Dependencies of a delivery: the secret, the mappings, Plane look-ups and Temporal. */
export interface DeliveryDeps {
  secret: string;
  /** Name of the Plane state that means "approved". */
  approvedState: string;
  /** Plane project identifier (such as ORCH) to deployer project id. */
  projects: Record<string, string>;
  /** Plane user id or email to approver login. */
  actors: Record<string, string>;
  projectIdentifier(planeProjectId: string): Promise<string>;
  stateName(planeProjectId: string, stateId: string): Promise<string | undefined>;
  /** Sends `approve`; returns "not-running" when no run of the workflow is open. */
  approve(workflowId: string, payload: ApprovePayload): Promise<'sent' | 'not-running'>;
}

/** The HTTP reply to a delivery and the log line that records it. */
export interface DeliveryReply {
  status: number;
  body: Record<string, unknown>;
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** Verifies, validates and acts on one delivery. Errors of Plane or Temporal become a 503 reply. */
export async function handleDelivery(
  request: { body: Buffer; signature: string | undefined },
  deps: DeliveryDeps,
): Promise<DeliveryReply> {
  if (request.signature === undefined || request.signature === '') {
    return rejected(401, 'missing X-Plane-Signature header');
  }
  if (!verifyPlaneSignature({ secret: deps.secret, body: request.body, header: request.signature })) {
    return rejected(401, 'invalid X-Plane-Signature: expected the HMAC-SHA256 of the body with the webhook secret');
  }

  let json: unknown;
  try {
    json = JSON.parse(request.body.toString('utf8'));
  } catch {
    return rejected(400, 'invalid body: expected JSON');
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) return rejected(400, describeValidationError(envelope.error, json, 'webhook body'));
  const { event, action } = envelope.data;
  if (event !== 'issue' || !action.startsWith('update')) {
    return ignored(`event ${event} ${action} is not a state change`, {});
  }

  const activity = activitySchema.safeParse(envelope.data.activity);
  if (!activity.success) {
    return rejected(400, describeValidationError(activity.error, envelope.data.activity, 'activity'));
  }
  if (!STATE_FIELDS.has(activity.data.field ?? '')) {
    return ignored(`field ${shorten(activity.data.field ?? null, 40)} is not the state`, {});
  }
  const data = workItemDataSchema.safeParse(envelope.data.data);
  if (!data.success) return rejected(400, describeValidationError(data.error, envelope.data.data, 'data'));
  if (typeof activity.data.new_value !== 'string') {
    return rejected(400, `invalid activity.new_value: ${shorten(activity.data.new_value)}: expected the new state id`);
  }

  try {
    const change = { data: data.data, activity: activity.data, newStateId: activity.data.new_value };
    return await approveIfApproved(change, deps);
  } catch (error) {
    return {
      status: 503,
      body: { error: 'Plane or Temporal is unavailable; deliver the webhook again later' },
      level: 'error',
      message: 'webhook failed',
      fields: { error: error instanceof Error ? error.message : String(error) },
    };
  }
}

async function approveIfApproved(
  change: { data: WorkItemData; activity: Activity; newStateId: string },
  deps: DeliveryDeps,
): Promise<DeliveryReply> {
  const { data, activity, newStateId } = change;
  const state = await newStateName(data, newStateId, deps);
  if (state !== deps.approvedState) {
    return ignored(`new state ${shorten(state ?? null, 80)} is not "${deps.approvedState}"`, { planeItem: data.id });
  }

  const identifier = await deps.projectIdentifier(data.project);
  const workItemId = `${identifier}-${data.sequence_id}`;
  const projectId = Object.hasOwn(deps.projects, identifier) ? deps.projects[identifier] : undefined;
  if (projectId === undefined || !workItemIdSchema.safeParse(workItemId).success) {
    return ignored(`Plane project ${shorten(identifier, 20)} is not mapped in webhook.projects`, { workItemId });
  }
  const approver = approverLogin(activity.actor, deps.actors);
  if (approver === undefined) {
    return ignored('the acting Plane user has no login: add the user id or email to webhook.actors', {
      workItemId,
      actorId: activity.actor.id,
    });
  }

  const workflowId = deployWorkflowId(projectId, workItemId);
  const comment = `moved to "${deps.approvedState}" in Plane`;
  const sent = await deps.approve(workflowId, { approver, comment });
  const result = sent === 'sent' ? 'approve sent' : 'no running deploy';
  return {
    status: 200,
    body: { result, workflowId },
    level: 'info',
    message: `webhook accepted: ${result}`,
    fields: { workflowId, approver },
  };
}

/** Returns the name of the new state, from the expanded state in `data` or from Plane's list of states. */
async function newStateName(data: WorkItemData, newStateId: string, deps: DeliveryDeps): Promise<string | undefined> {
  if (typeof data.state === 'object' && data.state !== null && data.state.id === newStateId) return data.state.name;
  return deps.stateName(data.project, newStateId);
}

/**
 * Maps the acting user to a login: by Plane user id, then by email, else the email itself when it is a
 * valid identity. The display name is never used because every user can change their own.
 */
function approverLogin(actor: Activity['actor'], actors: Record<string, string>): string | undefined {
  const mapped = [actor.id, actor.email ?? ''].find((key) => key !== '' && Object.hasOwn(actors, key));
  if (mapped !== undefined) return actors[mapped];
  const email = actor.email ?? '';
  return identitySchema.safeParse(email).success && email.includes('@') ? email : undefined;
}

function rejected(status: number, reason: string): DeliveryReply {
  return { status, body: { error: reason }, level: 'warn', message: 'webhook rejected', fields: { reason } };
}

function ignored(reason: string, fields: Record<string, unknown>): DeliveryReply {
  return {
    status: 200,
    body: { result: 'ignored', reason },
    level: 'info',
    message: 'webhook ignored',
    fields: { ...fields, reason },
  };
}

/**
 * The Plane webhook endpoint: `POST /webhooks/plane` on the configured address. It verifies the
 * signature over the raw body, then sends `approve` when a person moves a work item to the approved
 * state. Every accepted, ignored, rejected and failed request is logged, never the secret or signature.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { readSecret, type Config, type WebhookConfig } from '../shared/config.js';
import { approveSignal, type ApprovePayload } from '../workflows/messages.js';
import { handleDelivery, type DeliveryDeps, type DeliveryReply } from './delivery.js';
import { createPlaneLookup } from './plane-lookup.js';

/** Path that Plane's webhook URL must point to. */
export const WEBHOOK_PATH = '/webhooks/plane';
const SIGNAL_TIMEOUT_MS = 10_000;
/** A body this many times over the limit is not drained to the end: the connection is dropped instead. */
const DRAIN_FACTOR = 4;

/** Receives one line per request: a fixed message plus fields. */
export type WebhookLogger = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields: Record<string, unknown>,
) => void;

/** A running webhook endpoint. */
export interface WebhookServer {
  url: string;
  close(): Promise<void>;
}

/** Starts the endpoint from the config: secret and Plane API key from `env`, signals through `client`. */
export async function startWebhookServer(options: {
  config: Config;
  client: Client;
  env?: NodeJS.ProcessEnv;
  log: WebhookLogger;
}): Promise<WebhookServer> {
  const { config, client } = options;
  const env = options.env ?? process.env;
  const { webhook, tracker } = config;
  if (!webhook || tracker.kind !== 'plane') {
    throw new Error('webhook is not configured: add a "webhook" section and set tracker.kind to "plane"');
  }
  const lookup = createPlaneLookup({
    baseUrl: tracker.baseUrl,
    workspace: tracker.workspace,
    apiKey: readSecret(tracker.apiKeyEnv, 'Plane API key', env),
    timeoutMs: tracker.requestTimeoutSeconds * 1000,
  });
  const deps: DeliveryDeps = {
    secret: readSecret(webhook.secretEnv, 'Plane webhook secret', env),
    approvedState: tracker.states.approved,
    projects: webhook.projects,
    actors: webhook.actors,
    projectIdentifier: lookup.projectIdentifier,
    stateName: lookup.stateName,
    approve: (workflowId, payload) => sendApprove(client, workflowId, payload),
  };
  return listen({ webhook, deps, log: options.log });
}

/** Sends `approve` to the latest run of a workflow; a workflow that is closed or unknown is "not-running". */
async function sendApprove(
  client: Client,
  workflowId: string,
  payload: ApprovePayload,
): Promise<'sent' | 'not-running'> {
  try {
    await client.withDeadline(Date.now() + SIGNAL_TIMEOUT_MS, () =>
      client.workflow.getHandle(workflowId).signal(approveSignal, payload),
    );
    return 'sent';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'not-running';
    throw error;
  }
}

async function listen({ webhook, deps, log }: { webhook: WebhookConfig; deps: DeliveryDeps; log: WebhookLogger }) {
  const separator = webhook.listen.lastIndexOf(':');
  const host = webhook.listen.slice(0, separator);
  const port = Number(webhook.listen.slice(separator + 1));
  const server = http.createServer((request, response) => {
    serve({ request, response, webhook, deps, log }).catch((error: unknown) => {
      log('error', 'webhook failed', { error: error instanceof Error ? error.message : String(error) });
      if (!response.headersSent) respond(response, 500, { error: 'internal error' });
    });
  });
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}${WEBHOOK_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function serve(options: {
  request: http.IncomingMessage;
  response: http.ServerResponse;
  webhook: WebhookConfig;
  deps: DeliveryDeps;
  log: WebhookLogger;
}): Promise<void> {
  const { request, response, webhook, log } = options;
  const delivery = deliveryId(request.headers['x-plane-delivery']);
  const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
  const early = preflight({ request, path, maxBodyBytes: webhook.maxBodyBytes });
  if (early !== null) {
    request.resume();
    finish({ response, reply: early, log, delivery });
    return;
  }

  const body = await readBody(request, webhook.maxBodyBytes);
  if (body === 'too-large') {
    finish({ response, reply: rejection(413, `body exceeds ${webhook.maxBodyBytes} bytes`), log, delivery });
    return;
  }
  const signature = request.headers['x-plane-signature'];
  const signed = { body, signature: typeof signature === 'string' ? signature : undefined };
  const reply = await handleDelivery(signed, options.deps);
  finish({ response, reply, log, delivery });
}

/** Rejects a request by path, method or declared length before its body is read. */
function preflight({
  request,
  path,
  maxBodyBytes,
}: {
  request: http.IncomingMessage;
  path: string;
  maxBodyBytes: number;
}): DeliveryReply | null {
  if (path !== WEBHOOK_PATH) return rejection(404, `not found: the webhook path is ${WEBHOOK_PATH}`);
  if (request.method !== 'POST') return rejection(405, 'method not allowed: expected POST');
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > maxBodyBytes) return rejection(413, `body exceeds ${maxBodyBytes} bytes`);
  return null;
}

/** Reads the raw body; past the limit it keeps draining (so the reply reaches the sender) but stores nothing. */
async function readBody(request: http.IncomingMessage, maxBytes: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of request) {
    received += (chunk as Buffer).length;
    if (received > maxBytes * DRAIN_FACTOR) {
      request.destroy();
      break;
    }
    if (received <= maxBytes) chunks.push(chunk as Buffer);
  }
  return received > maxBytes ? 'too-large' : Buffer.concat(chunks);
}

function finish({
  response,
  reply,
  log,
  delivery,
}: {
  response: http.ServerResponse;
  reply: DeliveryReply;
  log: WebhookLogger;
  delivery: string;
}): void {
  log(reply.level, reply.message, { delivery, status: reply.status, ...reply.fields });
  respond(response, reply.status, reply.body);
}

function respond(response: http.ServerResponse, status: number, body: Record<string, unknown>): void {
  if (response.destroyed) return;
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (status === 405) headers.Allow = 'POST';
  response.writeHead(status, headers);
  response.end(JSON.stringify(body));
}

function rejection(status: number, reason: string): DeliveryReply {
  return { status, body: { error: reason }, level: 'warn', message: 'webhook rejected', fields: { reason } };
}

/** Returns the delivery id for the log when it looks like one, else "invalid". */
function deliveryId(header: string | string[] | undefined): string {
  if (header === undefined) return 'none';
  return typeof header === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(header) ? header : 'invalid';
}

/**
 * `npm run demo`: runs two self-hosting deploys end to end on real components. They are a real
 * Temporal dev server, a real git origin, a stand-in Gitea doing real merges, a stand-in Plane whose
 * signed webhook approves, and the reference hook restarting a stand-in production service. The
 * first deploy reaches SUCCESS, and the second's image fails its health check.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { awaitResult, connectClient, deployWorkflowId, startDeploy, workflowLink } from '../client/deploys.js';
import { ensureServerRunning } from '../client/server.js';
import { watchDeploy } from '../client/watch.js';
import { checkVerdict } from '../verdict/gate.js';
import { startWebhookServer, type WebhookServer } from '../webhook/server.js';
import { planeSignature } from '../webhook/signature.js';
import { approveSignal } from '../workflows/messages.js';
import { createJsonLogger } from '../worker/logging.js';
import { createDeployWorker } from '../worker/run.js';
import { PLANE_STATES, PLANE_USERS, PLANE_WEBHOOK_SECRET } from '../test/support/sandbox-plane.js';
import { createSandbox, readMain, PROJECT_ID, type Sandbox } from '../test/support/sandbox.js';

const APPROVER = 'alice';
const REQUESTER = 'deployer-bot';
const WORK_ITEMS = [
  { id: 'ORCH-65', brokenImage: false },
  { id: 'ORCH-66', brokenImage: true },
];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, address: { type: 'string' } } });
  const dir = path.resolve(values.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'deployer-demo-'))));
  const address = values.address ?? process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const started = Date.now();
  const step = (text: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${text}`);

  await mkdir(dir, { recursive: true });
  const workerLog = path.join(dir, 'worker.log');
  Runtime.install({ logger: createJsonLogger({ file: workerLog }) });
  step(`sandbox in ${dir} (bare origin: ${path.join(dir, 'origin.git')}, worker log: ${workerLog})`);
  const server = await ensureServerRunning({ address });
  step(server.started ? `started a Temporal dev server at ${address}` : `using the Temporal server at ${address}`);
  const uiUrl = server.uiUrl ?? 'http://127.0.0.1:8233';

  const sandbox = await createSandbox({
    dir,
    workItems: WORK_ITEMS,
    temporalAddress: address,
    uiUrl,
    taskQueue: 'deployer-demo',
    tracker: 'plane',
  });
  step(`stand-in Gitea at ${sandbox.gitea.url}, stand-in Plane at ${sandbox.plane?.baseUrl}`);
  step(`production service on 127.0.0.1:${sandbox.prodPort}`);
  // Ctrl-C must not leave the stand-in production service running: it was started detached.
  process.once('SIGINT', () => {
    step('interrupted: stopping the stand-in servers and the production service');
    void sandbox.close().finally(() => process.exit(130));
  });
  const worker = await createDeployWorker(sandbox.config);
  const client = await connectClient(sandbox.config);
  const webhook = await startWebhookServer({ config: sandbox.config, client, log: () => undefined });
  step(`worker polling task queue ${sandbox.config.temporal.taskQueue}, Plane webhook at ${webhook.url}`);

  try {
    await worker.runUntil(async () => {
      await clearLeftovers(client);
      for (const item of WORK_ITEMS) await deployOne({ client, sandbox, webhook, workItemId: item.id, step });
    });
    await report(sandbox, step);
  } finally {
    await webhook.close();
    await client.connection.close();
    await sandbox.close();
  }
  if (server.started) step('the dev server keeps running; stop it with: kill "$(cat .data/temporal-server.pid)"');
}

async function deployOne({
  client,
  sandbox,
  webhook,
  workItemId,
  step,
}: {
  client: Client;
  sandbox: Sandbox;
  webhook: WebhookServer;
  workItemId: string;
  step: (text: string) => void;
}): Promise<void> {
  const outcome = await startDeploy(client, sandbox.config, {
    projectId: PROJECT_ID,
    workItemId,
    featureBranch: sandbox.branchOf(workItemId),
    imageReference: sandbox.imageOf(workItemId),
    requestedBy: REQUESTER,
    // The demo deploys the same work items on every run, so it requests a re-deploy explicitly.
    options: { redeploy: true },
  });
  step(`${workItemId}: started ${outcome.workflowId}`);
  step(`${workItemId}: trace it at ${outcome.link}`);
  const handle = client.workflow.getHandle(outcome.workflowId);
  let shownIgnored = 0;

  await watchDeploy({
    client,
    workflowId: outcome.workflowId,
    onChange: async (view, elapsed) => {
      const verdicts = `staging ${view.stagingStatus ?? '-'}, deploy ${view.deployStatus ?? '-'}`;
      step(`${workItemId}: phase ${view.phase} (${verdicts}) after ${(elapsed / 1000).toFixed(1)} s`);
      for (const ignored of view.approval.ignored.slice(shownIgnored)) {
        step(`${workItemId}: ignored ${ignored.decision} from ${ignored.approver}: ${ignored.reason}`);
      }
      shownIgnored = view.approval.ignored.length;
      if (view.phase === 'awaiting-approval' && view.approval.pending && view.approval.ignored.length === 0) {
        step(`${workItemId}: the requester tries to approve its own deploy`);
        await handle.signal(approveSignal, { approver: REQUESTER });
        step(`${workItemId}: tracker: "${sandbox.plane?.workItem(workItemId).state}"; ${APPROVER} moves it to "${PLANE_STATES.approved}"`);
        const answer = await approveInPlane({ sandbox, webhook, workItemId });
        step(`${workItemId}: Plane webhook answered: ${answer}`);
        step(`${workItemId}: the same approval from the Temporal CLI would be:`);
        const { address } = sandbox.config.temporal;
        const addressFlag = address === '127.0.0.1:7233' ? '' : ` --address ${address}`;
        step(`    temporal workflow signal${addressFlag} --workflow-id ${outcome.workflowId} --name approve --input '{"approver":"${APPROVER}"}'`);
      }
      if (view.launch && view.phase === 'awaiting-hook') {
        step(`${workItemId}: hook launched detached, pid ${view.launch.pid}, record ${view.launch.recordDir}`);
      }
    },
  });
  const result = await awaitResult(client, outcome.workflowId);
  step(`${workItemId}: finished: deploy ${result.deployStatus}${result.reason ? ` (${result.reason})` : ''}, hook exit ${result.hookExitCode}`);
  step(`${workItemId}: tracker: "${sandbox.plane?.workItem(workItemId).state}"`);
}

/** Moves the work item to the approved state in the Plane stand-in and delivers the signed webhook. */
async function approveInPlane({ sandbox, webhook, workItemId }: { sandbox: Sandbox; webhook: WebhookServer; workItemId: string }) {
  const body = JSON.stringify(
    sandbox.plane?.moveByUser({ identifier: workItemId, state: PLANE_STATES.approved, actor: PLANE_USERS[APPROVER] }),
  );
  const response = await fetch(webhook.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Plane-Signature': planeSignature(PLANE_WEBHOOK_SECRET, body) },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  return `HTTP ${response.status} ${await response.text()}`;
}

async function report(sandbox: Sandbox, step: (text: string) => void): Promise<void> {
  for (const item of WORK_ITEMS) {
    for (const [kind, file] of [['staging', '15-staging-log.md'], ['deploy', '14-deploy-log.md']] as const) {
      const repoPath = `docs/work-items/${item.id}/${file}`;
      const text = await readMain(sandbox.originPath, repoPath);
      if (text === undefined) throw new Error(`${repoPath} is not on main of ${sandbox.originPath}`);
      const gate = checkVerdict(kind, text);
      step(`main:${repoPath}: gate ${gate.ok ? gate.status : `INVALID (${gate.problems.join('; ')})`}`);
      console.log(text.split('\n').map((line) => `        ${line}`).join('\n'));
    }
  }
  step(`check: git --git-dir=${sandbox.originPath} log --oneline main`);
  step(`Web UI: ${workflowLink(sandbox.config, deployWorkflowId(PROJECT_ID, WORK_ITEMS[0]!.id))}`);
}

/** Ends demo runs that an interrupted earlier demo left waiting, so this run starts clean. */
async function clearLeftovers(client: Client): Promise<void> {
  for (const item of WORK_ITEMS) {
    const handle = client.workflow.getHandle(deployWorkflowId(PROJECT_ID, item.id));
    const description = await handle.describe().catch(() => null);
    if (description?.status.name === 'RUNNING') await handle.terminate('an earlier demo run was interrupted');
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);

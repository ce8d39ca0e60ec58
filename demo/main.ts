/**
 * `npm run demo`: runs two self-hosting deploys end to end on real components: a real Temporal dev
 * server, a real git origin, a stand-in Gitea doing real merges, the reference hook restarting a
 * stand-in production service. The first reaches SUCCESS; the second's image fails its health check.
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
import { approveSignal } from '../workflows/messages.js';
import { createJsonLogger } from '../worker/logging.js';
import { createDeployWorker } from '../worker/run.js';
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

  const sandbox = await createSandbox({ dir, workItems: WORK_ITEMS, temporalAddress: address, uiUrl, taskQueue: 'deployer-demo' });
  step(`stand-in Gitea at ${sandbox.gitea.url}, production service on 127.0.0.1:${sandbox.prodPort}`);
  const worker = await createDeployWorker(sandbox.config);
  const client = await connectClient(sandbox.config);
  step(`worker polling task queue ${sandbox.config.temporal.taskQueue}`);

  try {
    await worker.runUntil(async () => {
      await clearLeftovers(client);
      for (const item of WORK_ITEMS) await deployOne(client, sandbox, item.id, step);
    });
    await report(sandbox, step);
  } finally {
    await client.connection.close();
    await sandbox.close();
  }
  if (server.started) step('the dev server keeps running; stop it with: kill "$(cat .data/temporal-server.pid)"');
}

async function deployOne(client: Client, sandbox: Sandbox, workItemId: string, step: (text: string) => void): Promise<void> {
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
        step(`${workItemId}: ${APPROVER} approves, as with:`);
        step(`    temporal workflow signal --workflow-id ${outcome.workflowId} --name approve --input '{"approver":"${APPROVER}"}'`);
        await handle.signal(approveSignal, { approver: APPROVER, comment: 'looks good on staging' });
      }
      if (view.launch && view.phase === 'awaiting-hook') {
        step(`${workItemId}: hook launched detached, pid ${view.launch.pid}, record ${view.launch.recordDir}`);
      }
    },
  });
  const result = await awaitResult(client, outcome.workflowId);
  step(`${workItemId}: finished: deploy ${result.deployStatus}${result.reason ? ` (${result.reason})` : ''}, hook exit ${result.hookExitCode}`);
  step(`${workItemId}: tracker: ${result.deployStatus === 'SUCCESS' ? 'moved to done' : 'sent back to development'} (tracker "none": see the worker log)`);
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

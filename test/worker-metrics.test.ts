/** The worker process serves Prometheus metrics on the address that temporal.metricsAddress sets. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '../client/dev-server-process.js';
import { stopOwnServer, temporalAddress } from './support/temporal.js';
import { startWorkerProcess } from './support/workers.js';

after(async () => {
  await stopOwnServer();
});

async function writeConfig(dir: string, metricsAddress: string): Promise<string> {
  const config = {
    temporal: { address: await temporalAddress(), taskQueue: `metrics-${process.pid}`, metricsAddress },
    stateDir: path.join(dir, 'state'),
    forge: { kind: 'gitea', baseUrl: 'http://127.0.0.1:9' },
    hosts: { local: { transport: 'local', stateDir: path.join(dir, 'host') } },
    projects: {
      orchestrator: {
        repository: { owner: 'acme', name: 'orchestrator', cloneUrl: path.join(dir, 'origin.git') },
        staging: { baseUrl: 'http://127.0.0.1:8501', command: ['true'] },
        deploy: { host: 'local', hook: ['true'] },
      },
    },
  };
  const file = path.join(dir, 'deployer.config.json');
  await writeFile(file, JSON.stringify(config));
  return file;
}

/** Fetches the metrics page until it contains `expected`, for at most 60 s while the worker starts polling. */
async function scrape(url: string, expected: string): Promise<{ status: number; contentType: string; body: string }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      const body = await response.text();
      if (body.includes(expected)) return { status: response.status, contentType: response.headers.get('content-type') ?? '', body };
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) assert.fail(`no ${expected} in the metrics at ${url} within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test('worker serves Prometheus metrics', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deployer-metrics-'));
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  const worker = startWorkerProcess(await writeConfig(dir, metricsAddress), {
    reject: false,
    env: { DEPLOYER_BUNDLE_FROM_SOURCE: '1' },
  });
  try {
    const { status, contentType, body } = await scrape(`http://${metricsAddress}/metrics`, 'temporal_num_pollers');

    assert.equal(status, 200);
    assert.match(contentType, /^text\/plain/);
    assert.match(body, /^# TYPE temporal_\w+ (counter|gauge|histogram)$/m);
    assert.match(body, /^temporal_num_pollers\{.*task_queue="metrics-\d+".*\} \d+$/m);
  } finally {
    worker.kill('SIGTERM');
    await worker;
    await rm(dir, { recursive: true, force: true });
  }
});

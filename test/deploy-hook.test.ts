import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createHostFixture, freePort, uniqueDeployId } from './support/host-fixture.js';
import { startProdService, writeRestartScript } from './support/prod-service.js';

const deployHook = fileURLToPath(new URL('../host/deploy-hook.sh', import.meta.url));
const standinBin = fileURLToPath(new URL('./support/docker-standin', import.meta.url));
const sourceImage = 'orchestrator:1.4.2';
const targetTag = 'orchestrator:production';
const serviceName = 'orchestrator-prod';

const cases = [
  { name: 'healthy', exitCode: 0, changes: true },
  { name: 'SOURCE_IMAGE unset', exitCode: 1, changes: false, hookPrefix: ['env', '-u', 'SOURCE_IMAGE'] },
  { name: 'image unknown to docker', exitCode: 1, changes: false, knownImages: [] as string[] },
  { name: 'unhealthy', exitCode: 2, changes: true, unhealthy: true },
  { name: 'dry run', exitCode: 0, changes: false, env: { DRY_RUN: '1' } },
];

test('reference hook with docker stand-in', async (t) => {
  for (const scenario of cases) {
    await t.test(scenario.name, async () => {
      const port = await freePort();
      const fixture = await createHostFixture({ hook: [...(scenario.hookPrefix ?? []), 'bash', deployHook] });
      const standinDir = path.join(fixture.dir, 'docker');
      const dockerLog = path.join(fixture.dir, 'docker.log');
      const serviceDir = path.join(fixture.dir, 'service');
      const service = await startProdService({ dir: serviceDir, port, image: 'orchestrator:1.4.1' });
      try {
        await mkdir(standinDir, { recursive: true });
        const images = scenario.knownImages ?? [sourceImage];
        await writeFile(path.join(standinDir, 'images'), images.map((image) => `${image}\n`).join(''));
        await writeRestartScript({ standinDir, serviceName, service, port, targetTag });
        if (scenario.unhealthy) await writeFile(path.join(path.dirname(service.versionFile), 'unhealthy'), '');
        fixture.config.projects.orchestrator!.deploy.env = {
          PATH: `${standinBin}:${process.env.PATH}`,
          DOCKER_STANDIN_DIR: standinDir,
          DOCKER_STANDIN_LOG: dockerLog,
          TARGET_TAG: targetTag,
          SERVICE: serviceName,
          HEALTH_URL: service.healthUrl,
          HEALTH_RETRIES: '3',
          HEALTH_INTERVAL: '1',
          HEALTH_DEADLINE: '10',
          ...scenario.env,
        };

        const outcome = await fixture.run(fixture.activities.runHook, fixture.request(uniqueDeployId('hook')));
        const commands = await readDockerLog(dockerLog);
        const changed = commands.some(([command]) => command === 'tag' || command === 'restart');

        assert.equal(outcome.exitCode, scenario.exitCode, outcome.logTail.join('\n'));
        assert.equal(changed, scenario.changes);
        const expectedImage = scenario.changes ? sourceImage : 'orchestrator:1.4.1';
        assert.equal((await readFile(service.versionFile, 'utf8')).trim(), expectedImage);
      } finally {
        await service.stop();
        await fixture.cleanup();
      }
    });
  }
});

async function readDockerLog(file: string): Promise<string[][]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as string[]);
}

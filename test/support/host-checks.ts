/** Checks that the host tests run on both transports, the local one and ssh. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { uniqueDeployId, type HostFixture } from './host-fixture.js';

/** A hook that appends `started` to the file given as its argument 4, then sleeps one second. */
export const COUNTING_HOOK = ['bash', '-c', 'echo started >>"$1"; sleep 1', 'hook', 'COUNTER_FILE'];

/** Launches one deploy id twice at once and once more, and asserts that one hook ran and all three launches name its pid. */
export async function assertOneHookPerDeployId(fixture: HostFixture): Promise<void> {
  const counterFile = path.join(fixture.dir, 'counter');
  fixture.config.projects.orchestrator!.deploy.hook[4] = counterFile;
  const request = fixture.request(uniqueDeployId('twice'));
  const [first, second] = await Promise.all([
    fixture.run(fixture.activities.launchHook, request),
    fixture.run(fixture.activities.launchHook, request),
  ]);
  const third = await fixture.run(fixture.activities.launchHook, request);
  const outcome = await fixture.run(fixture.activities.awaitHookExit, { ...request, launch: first });

  assert.equal(outcome.exitCode, 0);
  assert.equal(await readFile(counterFile, 'utf8'), 'started\n');
  assert.deepEqual([first.launchedNow, second.launchedNow, third.launchedNow].sort(), [false, false, true]);
  assert.equal(second.pid, first.pid);
  assert.equal(third.pid, first.pid);
}

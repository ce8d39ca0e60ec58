/** `deployer doctor`: checks the config and every dependency, and prints what to fix. */
import { defaultConfigPath, loadConfig, type Config } from '../../shared/config.js';
import { messageOf, runChecks, type CheckResult } from '../doctor.js';
import { GLOBAL_HELP, type Command } from './command.js';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check the config, Temporal, ssh hosts, forge token and tracker key; say what to fix',
  help: `Usage: deployer doctor [--config FILE] [--json]

Checks, in this order of output:
  config        the file parses and validates
  temporal      connects (5 s timeout), reads the namespace, finds the custom search attributes
  hosts         each ssh host: one BatchMode login (ConnectTimeout at most 5 s, 15 s in total)
                that tests the launcher is readable; each local host: the launcher file exists
  forge         one authenticated GET per repository (5 s timeout) with the token from forge.tokenEnv
  tracker       one authenticated GET of the Plane workspace's projects (5 s timeout), unless kind "none"

Output: one line per check, "ok" or "FAIL", with what to fix under each failure.
With --json: {"ok", "checks": [{"name","ok","detail","fix"}]}.
Exit code: 0 when every check passes, 1 when any fails, 2 on usage errors.

${GLOBAL_HELP}`,
  async run(values) {
    const file = values.config ?? defaultConfigPath();
    const checks: CheckResult[] = [];
    let config: Config | undefined;
    try {
      config = loadConfig(file);
      checks.push({ name: 'config', ok: true, detail: file });
    } catch (error) {
      checks.push({ name: 'config', ok: false, detail: messageOf(error), fix: `correct ${file} and run doctor again` });
    }
    if (config !== undefined) checks.push(...(await runChecks(config)));
    const ok = checks.every((check) => check.ok);
    if (values.json) {
      console.log(JSON.stringify({ ok, checks }, null, 2));
    } else {
      for (const check of checks) {
        console.log(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.name}: ${check.detail}`);
        if (!check.ok && check.fix) console.log(`      fix: ${check.fix}`);
      }
      console.log(ok ? 'all checks passed' : `${checks.filter((check) => !check.ok).length} check(s) failed`);
    }
    return ok ? 0 : 1;
  },
};

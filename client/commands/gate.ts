/** `deployer gate`: checks a verdict file's frontmatter, failing closed. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkVerdict, kindOfFile } from '../../verdict/gate.js';
import { UsageError } from './args.js';
import { GLOBAL_HELP, type Command } from './command.js';

export const gateCommand: Command = {
  name: 'gate',
  summary: 'check a verdict file; exit 0 on SUCCESS, 1 on FAILED or an invalid file',
  help: `Usage: deployer gate FILE [--kind staging|deploy]

Checks the frontmatter of a verdict file and ignores its body. The kind comes from the file name
(15-staging-log.md or 14-deploy-log.md) unless --kind is given. A missing closing "---", a missing
or duplicated field, a status other than SUCCESS or FAILED, or an invalid timestamp is INVALID.

  --kind staging|deploy   verdict kind (default: from the file name)

With --json: {"file","kind","ok","status"} or {"file","kind","ok":false,"problems"}.
Exit code: 0 when the status is SUCCESS, 1 when FAILED or the file is invalid, 2 on usage errors.
Needs no config and no Temporal connection.

${GLOBAL_HELP}`,
  async run(values, positionals) {
    const file = positionals[0];
    if (file === undefined) throw new UsageError('gate: missing FILE; expected a path to 15-staging-log.md or 14-deploy-log.md');
    if (values.kind !== undefined && values.kind !== 'staging' && values.kind !== 'deploy') {
      throw new UsageError(`gate: --kind ${JSON.stringify(values.kind)} is invalid: expected staging or deploy`);
    }
    const kind = values.kind ?? kindOfFile(path.basename(file));
    if (kind !== 'staging' && kind !== 'deploy') {
      throw new UsageError(`gate: cannot tell the verdict kind of ${file}; pass --kind staging or --kind deploy`);
    }
    const result = checkVerdict(kind, await readFile(file, 'utf8'));
    if (values.json) console.log(JSON.stringify({ file, kind, ...result }));
    else if (result.ok) console.log(`${file}: ${kind} status ${result.status}`);
    else console.log(`${file}: INVALID (fails closed): ${result.problems.join('; ')}`);
    return result.ok && result.status === 'SUCCESS' ? 0 : 1;
  },
};

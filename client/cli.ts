/** The `deployer` command line: start, approve, reject, status, gate. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { defaultConfigPath, loadConfig, type Config } from '../shared/config.js';
import { checkVerdict, kindOfFile, type VerdictFileKind } from '../verdict/gate.js';
import { connectClient, decide, deployWorkflowId, queryStatus, startDeploy, workflowLink } from './deploys.js';
import { formatStatus } from './format.js';

const USAGE = `Usage: deployer <command> [options]

Commands:
  start     start (or return the running) deploy of a work item
  approve   approve a pending self-hosting deploy; says at once whether it counted
  reject    reject a pending self-hosting deploy
  status    show phase, verdicts, approval and launch record of a deploy
  gate      check a verdict file; exit 0 on SUCCESS, 1 on FAILED or an invalid file

Global options:
  -c, --config FILE   config file (default: $DEPLOYER_CONFIG or ./deployer.config.json)
  --json              print machine-readable JSON
  -h, --help          show help for a command

Run "deployer <command> --help" for the options of each command.`;

const HELP: Record<string, string> = {
  start: `Usage: deployer start --project ID --work-item ID --branch NAME --image REF --requested-by LOGIN [options]

  --project ID               project id from the config, e.g. orchestrator
  --work-item ID             work item id, e.g. ORCH-65
  --branch NAME              feature branch whose pull request is merged
  --image REF                staging-validated image reference, e.g. registry:5000/orchestrator:1.4.2
  --requested-by LOGIN       who requests the deploy (cannot approve it)
  --pr N                     pull request number, when known (default: looked up by branch)
  --strict                   run the staging check in strict mode (passes --strict)
  --approval-timeout-hours H approval deadline in hours (default: the project's, 72)
  --redeploy                 deploy again a work item whose last deploy ended SUCCESS`,
  approve: `Usage: deployer approve --project ID --work-item ID --approver LOGIN [--comment TEXT]`,
  reject: `Usage: deployer reject --project ID --work-item ID --approver LOGIN --reason TEXT`,
  status: `Usage: deployer status --project ID --work-item ID [--json]`,
  gate: `Usage: deployer gate FILE [--kind staging|deploy]

  Checks the frontmatter of a verdict file. The kind is taken from the file name
  (15-staging-log.md or 14-deploy-log.md) unless --kind is given.
  Exit code: 0 when the status is SUCCESS, 1 when FAILED or the file is invalid, 2 on usage errors.`,
};

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  project: { type: 'string' },
  'work-item': { type: 'string' },
  branch: { type: 'string' },
  image: { type: 'string' },
  'requested-by': { type: 'string' },
  pr: { type: 'string' },
  strict: { type: 'boolean', default: false },
  'approval-timeout-hours': { type: 'string' },
  redeploy: { type: 'boolean', default: false },
  approver: { type: 'string' },
  comment: { type: 'string' },
  reason: { type: 'string' },
  kind: { type: 'string' },
} satisfies ParseArgsConfig['options'];

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** Raised for a command line that cannot run; the CLI prints it and exits 2. */
class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    console.log(HELP[command] ?? USAGE);
    return 0;
  }
  switch (command) {
    case 'gate':
      return gate(positionals[0], values);
    case 'start':
      return start(values);
    case 'approve':
    case 'reject':
      return decideCommand(command, values);
    case 'status':
      return status(values);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; expected one of start, approve, reject, status, gate`);
  }
}

async function gate(file: string | undefined, values: Values): Promise<number> {
  if (file === undefined) throw new UsageError('gate: missing FILE; expected a path to 15-staging-log.md or 14-deploy-log.md');
  const kind = (values.kind ?? kindOfFile(path.basename(file))) as VerdictFileKind | undefined;
  if (kind !== 'staging' && kind !== 'deploy') {
    throw new UsageError(`gate: cannot tell the verdict kind of ${file}; pass --kind staging or --kind deploy`);
  }
  const result = checkVerdict(kind, await readFile(file, 'utf8'));
  if (values.json) console.log(JSON.stringify({ file, kind, ...result }));
  else if (result.ok) console.log(`${file}: ${kind} status ${result.status}`);
  else console.log(`${file}: INVALID (fails closed): ${result.problems.join('; ')}`);
  return result.ok && result.status === 'SUCCESS' ? 0 : 1;
}

async function start(values: Values): Promise<number> {
  const config = configOf(values);
  const client = await connectClient(config);
  const outcome = await startDeploy(client, config, {
    projectId: required(values, 'project'),
    workItemId: required(values, 'work-item'),
    featureBranch: required(values, 'branch'),
    imageReference: required(values, 'image'),
    requestedBy: required(values, 'requested-by'),
    pullRequestNumber: values.pr === undefined ? undefined : numberOption('pr', values.pr),
    options: {
      strictStaging: values.strict,
      redeploy: values.redeploy,
      approvalTimeoutHours:
        values['approval-timeout-hours'] === undefined ? undefined : numberOption('approval-timeout-hours', values['approval-timeout-hours']),
    },
  });
  if (values.json) console.log(JSON.stringify(outcome));
  else {
    console.log(`${outcome.startedNew ? 'started' : 'already running'}: ${outcome.workflowId} (run ${outcome.runId})`);
    console.log(`Web UI: ${outcome.link}`);
  }
  return 0;
}

async function decideCommand(command: 'approve' | 'reject', values: Values): Promise<number> {
  const config = configOf(values);
  const client = await connectClient(config);
  const workflowId = deployWorkflowId(required(values, 'project'), required(values, 'work-item'));
  const approver = required(values, 'approver');
  const answer = await decide(
    client,
    workflowId,
    command === 'approve'
      ? { decision: 'approve', approver, comment: values.comment }
      : { decision: 'reject', approver, reason: required(values, 'reason') },
  );
  if (values.json) console.log(JSON.stringify(answer));
  else console.log(answer.counted ? `${command} counted: ${answer.reason}` : `${command} did not count: ${answer.reason}`);
  return answer.counted ? 0 : 1;
}

async function status(values: Values): Promise<number> {
  const config = configOf(values);
  const client = await connectClient(config);
  const workflowId = deployWorkflowId(required(values, 'project'), required(values, 'work-item'));
  const view = await queryStatus(client, workflowId);
  if (values.json) console.log(JSON.stringify(view, null, 2));
  else console.log(formatStatus(view, workflowLink(config, workflowId)));
  return 0;
}

function configOf(values: Values): Config {
  return loadConfig(values.config ?? defaultConfigPath());
}

function required(values: Values, name: keyof Values): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`missing --${name}; see --help`);
  return value;
}

function numberOption(name: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new UsageError(`--${name}: ${JSON.stringify(value)} is invalid: expected a number`);
  return parsed;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`deployer: ${message}`);
    process.exit(error instanceof UsageError || (error as Error)?.name === 'ValidationError' ? 2 : 1);
  },
);

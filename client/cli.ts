/** The `deployer` command line: start, approve, reject, status, watch, list, gate and doctor. */
import { parseArgs } from 'node:util';
import { WorkflowNotFoundError } from '@temporalio/client';
import { OPTIONS, UsageError } from './commands/args.js';
import { GLOBAL_HELP, type Command } from './commands/command.js';
import { approveCommand, rejectCommand } from './commands/decide.js';
import { doctorCommand } from './commands/doctor.js';
import { gateCommand } from './commands/gate.js';
import { listCommand } from './commands/list.js';
import { startCommand } from './commands/start.js';
import { statusCommand } from './commands/status.js';
import { watchCommand } from './commands/watch.js';

const COMMANDS: Command[] = [
  startCommand,
  approveCommand,
  rejectCommand,
  statusCommand,
  watchCommand,
  listCommand,
  gateCommand,
  doctorCommand,
];

const USAGE = `Usage: deployer <command> [options]

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(9)} ${command.summary}`).join('\n')}

${GLOBAL_HELP}

Run "deployer <command> --help" for the options, output and exit codes of each command.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    const names = COMMANDS.map((candidate) => candidate.name).join(', ');
    throw new UsageError(`unknown command ${JSON.stringify(name)}; expected one of ${names}`);
  }
  const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    console.log(command.help);
    return 0;
  }
  return command.run(values, positionals);
}

function exitCodeOf(error: unknown): number {
  const name = (error as Error | null)?.name;
  const isUsage = error instanceof UsageError || name === 'ValidationError' || (error as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS');
  return isUsage ? 2 : 1;
}

function messageOf(error: unknown): string {
  if (error instanceof WorkflowNotFoundError) {
    return `no deploy workflow ${error.workflowId} found: check --project and --work-item, or start it with "deployer start"`;
  }
  return error instanceof Error ? error.message : String(error);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`deployer: ${messageOf(error)}`);
    process.exit(exitCodeOf(error));
  },
);

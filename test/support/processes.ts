/** Process inspection through /proc, for tests that check what a hook left running. */
import { readdirSync, readFileSync } from 'node:fs';

/** Returns the pids of the live processes whose session id is `sessionId`. Zombies do not count. */
export function sessionMembers(sessionId: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The command name in field 2 may contain spaces and ')', so the fields are read after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[3] === String(sessionId) && fields[0] !== 'Z') members.push(Number(entry));
  }
  return members;
}

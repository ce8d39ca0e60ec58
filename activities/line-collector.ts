const MAX_MARKER_LINES = 50;
const MAX_LINE_CHARS = 500;
const TAIL_LINES = 20;
/** Maximum bytes of one line kept in memory while it is read; the rest of a longer line is dropped. */
const MAX_PENDING_BYTES = 64 * 1024;

/**
 * Reads a child's output as lines in bounded memory. Keeps `INFRA-WAIVED:` and `VERDICT:` lines and
 * the last lines, whatever the size, encoding or line endings of the output.
 */
export class LineCollector {
  readonly waivers: string[] = [];
  readonly verdictLines: string[] = [];
  readonly tail: string[] = [];
  bytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** Adds a chunk of output. */
  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let start = 0;
    for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, start)) {
      this.append(chunk.subarray(start, index));
      this.flush();
      start = index + 1;
    }
    this.append(chunk.subarray(start));
  }

  /** Flushes the last line when output ends without a newline. */
  end(): void {
    if (this.pendingBytes > 0) this.flush();
  }

  private append(part: Buffer): void {
    const room = MAX_PENDING_BYTES - this.pendingBytes;
    if (room <= 0 || part.length === 0) return;
    const kept = part.length > room ? part.subarray(0, room) : part;
    this.pending.push(kept);
    this.pendingBytes += kept.length;
  }

  private flush(): void {
    const line = cleanLine(Buffer.concat(this.pending).toString('utf8'));
    this.pending = [];
    this.pendingBytes = 0;
    if (line.startsWith('INFRA-WAIVED:') && this.waivers.length < MAX_MARKER_LINES) this.waivers.push(line);
    if (line.startsWith('VERDICT:') && this.verdictLines.length < MAX_MARKER_LINES) this.verdictLines.push(line);
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }
}

/** Drops the CR of CRLF, NUL and other control characters, trims and bounds the line. */
function cleanLine(raw: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = raw.replace(/\r$/, '').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trim();
  return printable.length > MAX_LINE_CHARS ? `${printable.slice(0, MAX_LINE_CHARS - 1)}…` : printable;
}

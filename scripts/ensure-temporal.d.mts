/** Returns the path of a working `temporal` CLI that is already present, or null. */
export function findTemporalBinary(): string | null;

/** Returns the path of a working `temporal` CLI, installing it into .tools/ when none is present. */
export function ensureTemporalBinary(options?: { log?: (line: string) => void }): string;

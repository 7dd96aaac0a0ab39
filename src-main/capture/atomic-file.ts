import { renameSync, unlinkSync, writeFileSync } from 'node:fs';

/**
 * Writes `data` to `path` via `<path>.partial` and a rename, so a failed write never leaves half
 * a file under the real name (the project's rule for every file it writes).
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const partial = `${path}.partial`;
  try {
    writeFileSync(partial, data);
    renameSync(partial, path);
  } catch (err) {
    try {
      unlinkSync(partial);
    } catch {
      // nothing was written
    }
    throw err;
  }
}

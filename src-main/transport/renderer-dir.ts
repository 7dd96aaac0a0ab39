import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the built renderer is: next to the bundled main (`out/main/../renderer`) or, when run from
 * source with tsx, in the repository's `out/renderer`. Says how to build it when it is missing.
 */
export function findRendererDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '../renderer'), resolve(here, '../../out/renderer'), resolve(here, '../../../out/renderer')];
  for (const dir of candidates) if (existsSync(join(dir, 'index.html'))) return dir;
  throw new Error(`the UI is not built (looked in ${candidates.join(', ')}); run: npm run build`);
}

#!/usr/bin/env node
/**
 * After `npm install`: say which system packages are missing (installing them when root), and
 * never fail the install for it; the Electron binary is fetched by the first `npm start`.
 */
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
if (process.env.TCPLAB_SKIP_SYSTEM_DEPS !== '1') {
  const r = spawnSync('bash', [resolve(repo, 'scripts/install-system-deps.sh')], { stdio: 'inherit' });
  if (r.status !== 0) console.log('tcplab: continuing without them; `npm run setup:system` retries.');
}

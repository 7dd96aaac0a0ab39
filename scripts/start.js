#!/usr/bin/env node
/**
 * `npm start`: builds, then runs the Electron app on the demo capture. Electron's binary is not
 * downloaded at install time (its install script is blocked in package.json); the first start
 * fetches it where the network allows. Where it cannot, this says so in one line and starts the
 * browser shell instead, printing the URL.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

function electronBinary() {
  const pathFile = resolve(repo, 'node_modules/electron/path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = resolve(repo, 'node_modules/electron/dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

const build = spawnSync(resolve(repo, 'node_modules/.bin/electron-vite'), ['build'], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
if (build.status !== 0) {
  console.error('tcplab: the build failed (see above)');
  process.exit(1);
}

let bin = electronBinary();
if (!bin && process.env.TCPLAB_NO_ELECTRON !== '1') {
  const fetch = spawnSync(process.execPath, [resolve(repo, 'node_modules/electron/install.js')], {
    cwd: resolve(repo, 'node_modules/electron'),
    stdio: 'ignore',
    timeout: 120_000,
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '' },
  });
  if (fetch.status === 0) bin = electronBinary();
}
const hasDisplay = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);

if (bin && hasDisplay) {
  const child = spawn(bin, [resolve(repo, 'out/main/index.js'), ...args], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  const why = !bin ? 'the Electron binary is not available (download blocked)' : 'no display to open a window on';
  console.log(`tcplab: ${why}; starting the browser shell instead.`);
  const child = spawn(process.execPath, [resolve(repo, 'bin/tcplab.js'), 'serve', ...args], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
}

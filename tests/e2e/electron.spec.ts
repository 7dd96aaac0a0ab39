import { expect, test, _electron as electron } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { repo } from './serve-fixture';

/** The Electron binary, when `npm start` (or node_modules/electron/install.js) could fetch it. */
function electronBinary(): string | null {
  const pathFile = resolve(repo, 'node_modules/electron/path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = resolve(repo, 'node_modules/electron/dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

// eslint-disable-next-line no-empty-pattern -- Playwright passes testInfo second; this test needs no fixture.
test('the Electron shell is locked down and shows the demo frames', async ({}, testInfo) => {
  const bin = electronBinary();
  testInfo.skip(
    bin === null,
    'no Electron binary is installed (its download is blocked on this network); the browser shell specs cover the same renderer and contract',
  );
  const app = await electron.launch({ executablePath: bin!, args: [resolve(repo, 'out/main/index.js'), '--no-sandbox'] });
  try {
    const win = await app.firstWindow();
    await expect(win.getByTestId('status-packets')).toHaveText('18');
    // Only the contract reaches the page: no Node, and exactly one method per request plus on().
    const exposed = await win.evaluate(() => ({
      hasProcess: typeof (globalThis as { process?: unknown }).process !== 'undefined',
      hasRequire: typeof (globalThis as { require?: unknown }).require !== 'undefined',
      keys: Object.keys((globalThis as unknown as { tcplab: object }).tcplab).sort(),
    }));
    expect(exposed.hasProcess).toBe(false);
    expect(exposed.hasRequire).toBe(false);
    expect(exposed.keys).toContain('session.open');
    expect(exposed.keys).toContain('on');
  } finally {
    await app.close();
  }
});

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

// eslint-disable-next-line no-empty-pattern -- Playwright passes testInfo second; this test needs no fixture.
test('Save goes through the native save dialog and writes only where it pointed', async ({}, testInfo) => {
  const bin = electronBinary();
  testInfo.skip(bin === null, 'no Electron binary is installed (its download is blocked on this network); export.spec.ts covers Save in the browser shell');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(resolve(tmpdir(), 'tcplab-electron-save-'));
  const chosen = resolve(dir, 'chosen.pcapng');
  const app = await electron.launch({ executablePath: bin!, args: [resolve(repo, 'out/main/index.js'), '--no-sandbox'] });
  try {
    // The dialog answers as if the user picked `chosen` (a real dialog needs a person).
    await app.evaluate(({ dialog }, path) => {
      dialog.showSaveDialog = (async () => ({ canceled: false, filePath: path })) as typeof dialog.showSaveDialog;
    }, chosen);
    const win = await app.firstWindow();
    await expect(win.getByTestId('status-packets')).toHaveText('18');
    await win.getByTestId('save-session').click();
    await expect(win.getByTestId('save-message')).toContainText(chosen);
    expect(readFileSync(chosen).readUInt32LE(0)).toBe(0x0a0d0d0a);
    // A path the dialog did not grant is refused, and so is the granted one a second time.
    const refused = await win.evaluate(async (paths) => {
      const api = (globalThis as unknown as { tcplab: Record<string, (p: unknown) => Promise<unknown>> }).tcplab;
      const results: string[] = [];
      for (const path of paths) {
        try {
          await api['session.save']!({ sessionId: 1, path });
          results.push('ok');
        } catch (err) {
          results.push((err as { code?: string }).code ?? 'error');
        }
      }
      return results;
    }, [resolve(dir, 'other.pcapng'), chosen]);
    expect(refused).toEqual(['EACCES', 'EACCES']);
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

import { expect, test } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { artifactsDir, startServe, type Served } from './serve-fixture';

const marker = (name: string) => `[data-testid="window-marker"][data-name="${name}"]`;

test.describe('sliding window on a lab (zero-window: true probe values)', () => {
  let served: Served;
  test.beforeAll(async () => {
    served = await startServe(['--lab', 'zero-window']);
  });
  test.afterAll(async () => {
    await served?.stop();
  });

  test('sender and receiver bars with SND.* and RCV.* markers, moving with the cursor', async ({ page }) => {
    await page.goto(served.url);
    await page.getByTestId('locale-select').selectOption('en');
    await expect(page.getByTestId('packet-row').first()).toBeVisible();
    await page.locator('[data-tab="window"]').click();
    await expect(page.getByTestId('window-source')).toHaveAttribute('data-inferred', 'false');
    const body = page.getByTestId('window-body');
    await expect(body).toBeVisible();
    for (const name of ['SND.UNA', 'SND.NXT', 'SND.UNA+SND.WND', 'RCV.NXT', 'RCV.NXT+RCV.WND']) await expect(page.locator(marker(name))).toHaveCount(1);
    // Values are consistent: SND.UNA ≤ SND.NXT, and the window edge is SND.UNA + SND.WND.
    const v = async (name: string) => Number(await page.locator(marker(name)).getAttribute('data-value'));
    expect(await v('SND.UNA')).toBeLessThanOrEqual(await v('SND.NXT'));
    // Glossary hover text: the meaning and the RFC section.
    await expect(page.locator(marker('SND.UNA'))).toHaveAttribute('title', /oldest unacknowledged.*RFC 9293 §3\.3\.1/);
    const parts = await page.locator('[data-testid="window-sender"] .part').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(parts[0]).toBe('acked');
    const receiverKinds = await page.locator('[data-testid="window-receiver"] .part').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(receiverKinds).toContain('read');
    mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: resolve(artifactsDir, 'window-lab-end.png') });

    // Back to the start: the first frames; step forward moves the snapshot.
    await page.getByTestId('playback-forward').click();
    const first = Number(await body.getAttribute('data-snapshot'));
    for (let i = 0; i < 8; i++) await page.getByTestId('playback-forward').click();
    await expect(body).not.toHaveAttribute('data-snapshot', String(first));
    const later = Number(await body.getAttribute('data-snapshot'));
    expect(later).toBeGreaterThan(first);
    // The zero-window episode: some snapshot has no usable window left.
    let sawZero = false;
    for (let i = 0; i < 40 && !sawZero; i++) {
      await page.getByTestId('playback-forward').click();
      sawZero = (await page.locator(marker('RCV.NXT+RCV.WND')).getAttribute('data-value')) === (await page.locator(marker('RCV.NXT')).getAttribute('data-value'));
    }
    expect(sawZero).toBe(true);
    await page.screenshot({ path: resolve(artifactsDir, 'window-lab-zero-window.png') });
  });
});

test.describe('sliding window on the demo capture (inferred)', () => {
  let served: Served;
  test.beforeAll(async () => {
    served = await startServe();
  });
  test.afterAll(async () => {
    await served?.stop();
  });

  test('labelled inferred; markers present', async ({ page }) => {
    await page.goto(served.url);
    await page.getByTestId('locale-select').selectOption('en');
    await expect(page.getByTestId('status-packets')).toHaveText('18');
    await page.locator('[data-tab="window"]').click();
    await expect(page.getByTestId('window-source')).toHaveAttribute('data-inferred', 'true');
    await expect(page.getByTestId('window-source')).toContainText('inferred');
    await expect(page.locator(marker('SND.NXT'))).toHaveCount(1);
    await expect(page.locator(marker('RCV.NXT'))).toHaveCount(1);
    mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: resolve(artifactsDir, 'window-demo-inferred.png') });
  });
});

import { expect, test } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { artifactsDir, startServe, type Served } from './serve-fixture';

let served: Served;

test.beforeAll(async () => {
  served = await startServe();
});
test.afterAll(async () => {
  await served?.stop();
});

test('the browser shell shows the demo frames, switches language, and saves a screenshot', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') violations.push(msg.text());
  });
  await page.goto(served.url);

  // The demo capture has 18 frames; every one must reach the Packets table.
  await expect(page.getByTestId('status-packets')).toHaveText('18');
  const rows = page.getByTestId('packet-row');
  await expect(rows.first()).toBeVisible();
  expect(await rows.count()).toBe(18);
  await expect(rows.nth(2)).toContainText('Flags [S]');
  await expect(rows.first()).toContainText('ARP');

  // Switch to 简体中文 and back; the choice is remembered across a reload.
  await page.getByTestId('locale-select').selectOption('zh-CN');
  await expect(page.locator('[data-tab="packets"]')).toHaveText('数据包');
  await page.reload();
  await expect(page.locator('[data-tab="packets"]')).toHaveText('数据包');
  await expect(page.getByTestId('status-packets')).toHaveText('18');

  // Clicking a row asks main for that frame's decode; the detail tree and hex pane fill in.
  await rows.nth(2).click();
  await expect(page.getByTestId('detail-tree')).toContainText('Transmission Control Protocol');
  await expect(page.getByTestId('hex-pane')).toContainText('0000');

  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: resolve(artifactsDir, 'foundation-packets-zh-CN.png') });
  await page.getByTestId('locale-select').selectOption('en');
  await expect(page.locator('[data-tab="packets"]')).toHaveText('Packets');
  await page.screenshot({ path: resolve(artifactsDir, 'foundation-packets-en.png') });

  // The CSP blocks nothing the app itself needs.
  expect(violations.filter((v) => /Content Security Policy/i.test(v))).toEqual([]);
});

test('with no session open, every tab has an empty state that says what to do', async ({ page }) => {
  await page.goto(served.url);
  await page.getByTestId('locale-select').selectOption('en');
  // Close every session (the demo), so no view has anything to draw.
  while ((await page.getByTestId('session-close').count()) > 0) {
    const before = await page.getByTestId('session-close').count();
    await page.getByTestId('session-close').first().click();
    await expect(page.getByTestId('session-close')).toHaveCount(before - 1);
  }
  await expect(page.getByTestId('packets-empty')).toBeVisible();
  for (const tab of ['ladder', 'window', 'congestion', 'stateMachine']) {
    await page.locator(`[data-tab="${tab}"]`).click();
    const empty = page.locator('.tab-body .empty-state');
    await expect(empty).toHaveCount(1);
    await expect(empty).not.toBeEmpty();
  }
});

test('a page without the token cannot drive the backend', async ({ page }) => {
  await page.goto(`${served.origin}/`);
  await expect(page.getByRole('alert')).toContainText('missing token');
  await expect(page.getByTestId('status-packets')).toHaveText('0');
  // A WebSocket with a wrong token is refused with 401 before any message is exchanged.
  const refused = await page.evaluate(async (origin) => {
    return await new Promise<string>((resolve) => {
      const ws = new WebSocket(`${origin.replace('http', 'ws')}/ws?token=wrong`);
      ws.onopen = () => resolve('open');
      ws.onerror = () => resolve('refused');
    });
  }, served.origin);
  expect(refused).toBe('refused');
});

import { expect, test } from '@playwright/test';
import { startServe, type Served } from './serve-fixture';

/** Playback on the shared timeline: stepping moves the cursor, which every view follows. */
let served: Served;
test.beforeAll(async () => {
  served = await startServe();
});
test.afterAll(async () => {
  await served?.stop();
});

test('step forward/back moves the cursor; the packet table and the ladder follow; play reaches the end', async ({ page }) => {
  await page.goto(served.url);
  await page.getByTestId('locale-select').selectOption('en');
  await expect(page.getByTestId('status-packets')).toHaveText('18');
  const pos = page.getByTestId('playback-position');
  await page.getByTestId('playback-forward').click();
  await expect(pos).toHaveAttribute('data-frame', '1');
  await page.getByTestId('playback-forward').click();
  await page.getByTestId('playback-forward').click();
  await expect(pos).toHaveAttribute('data-frame', '3');
  // The packet table selects the cursor's frame and shows its decode.
  await expect(page.locator('[data-testid="packet-row"][data-no="3"]')).toHaveClass(/selected/);
  await expect(page.getByTestId('detail-tree')).toContainText('Transmission Control Protocol');
  await page.getByTestId('playback-back').click();
  await expect(pos).toHaveAttribute('data-frame', '2');
  await expect(page.locator('[data-testid="packet-row"][data-no="2"]')).toHaveClass(/selected/);
  // Keyboard: '.' steps forward.
  await page.locator('body').press('.');
  await expect(pos).toHaveAttribute('data-frame', '3');

  // The ladder shares the cursor: its selected segment is frame 3.
  await page.locator('[data-tab="ladder"]').click();
  await expect(page.locator('.segment[data-frame="3"]')).toHaveClass(/selected/);
  await page.locator('[data-tab="packets"]').click();

  // Play at 10× runs to the last frame and stops.
  await page.getByTestId('playback-speed').selectOption('10');
  await page.getByTestId('playback-play').click();
  await expect(pos).toHaveAttribute('data-frame', '18', { timeout: 20_000 });
  await expect(page.getByTestId('playback-play')).toHaveAttribute('aria-pressed', 'false');
  // Clicking a row moves the cursor too (playback shows it).
  await page.locator('[data-testid="packet-row"][data-no="5"]').click();
  await expect(pos).toHaveAttribute('data-frame', '5');
});

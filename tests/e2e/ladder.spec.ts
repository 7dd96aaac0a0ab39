import { expect, test, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { artifactsDir, startServe, type Served } from './serve-fixture';

/** The demo capture: one TCP conversation of 16 segments (frames 3–18) after two ARP frames. */
let served: Served;
test.beforeAll(async () => {
  served = await startServe();
});
test.afterAll(async () => {
  await served?.stop();
});

async function openLadder(page: Page): Promise<void> {
  await page.goto(served.url);
  await page.getByTestId('locale-select').selectOption('en');
  await expect(page.getByTestId('status-packets')).toHaveText('18');
  await page.locator('[data-tab="ladder"]').click();
  await expect(page.getByTestId('ladder-svg')).toBeVisible();
}

test('the demo ladder draws one arrow per segment and the client states in order', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await openLadder(page);
  // The conversation picker lists the demo's one conversation with its segment count.
  await expect(page.getByTestId('conversation-select')).toContainText('16 segments');
  await page.getByTestId('zoom-fit').click();
  const svg = page.getByTestId('ladder-svg');
  await expect(svg).toHaveAttribute('data-total-arrows', '16');
  const arrows = page.getByTestId('ladder-arrow');
  await expect(arrows).toHaveCount(16);
  const frames = await arrows.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-frame'))).sort((a, b) => a - b));
  expect(frames).toEqual(Array.from({ length: 16 }, (_, i) => i + 3));
  // A capture: every arrow is one-sided, every state is inferred.
  expect(await page.locator('.segment.one-sided').count()).toBe(16);
  await expect(page.getByTestId('ladder-legend')).toContainText('one-sided');
  await expect(page.getByTestId('ladder-legend')).toContainText('inferred');

  // The client (A) goes SYN-SENT → ESTABLISHED → FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT, top to bottom.
  const clientStates = await page.locator('[data-testid="ladder-state"][data-side="0"]').evaluateAll((els) =>
    els
      .map((e) => ({ y: Number(e.querySelector('rect')!.getAttribute('y')), s: e.getAttribute('data-state') }))
      .sort((a, b) => a.y - b.y)
      .map((x) => x.s),
  );
  expect(clientStates.filter((s) => s !== 'CLOSED')).toEqual(['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT']);
  expect(await page.locator('.state.inferred').count()).toBeGreaterThan(0);

  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: resolve(artifactsDir, 'ladder-demo-fit.png') });

  // 1:1 zoom: labels in the classic notation; a click on an arrow shows that frame's decode.
  await page.getByTestId('zoom-reset').click();
  const syn = page.locator('.segment[data-frame="3"]');
  await expect(syn).toContainText('SYN 0(0) win 64240 <mss 1460');
  await expect(page.locator('.segment[data-frame="5"]')).toContainText('ACK 1 win');
  await expect(page.locator('.segment[data-frame="7"]')).toContainText('1:1449(1448) ack 83');
  await syn.locator('.hit').click();
  await expect(page.getByTestId('detail-tree')).toContainText('Transmission Control Protocol');
  await expect(syn).toHaveClass(/selected/);
  // ↓ selects the next segment (frame 4).
  await page.keyboard.press('ArrowDown');
  await expect(page.locator('.segment[data-frame="4"]')).toHaveClass(/selected/);
  await page.screenshot({ path: resolve(artifactsDir, 'ladder-demo-selected.png') });

  // Absolute sequence numbers on request.
  await page.getByTestId('detail-relative').uncheck();
  await expect(page.locator('.segment[data-frame="3"]')).not.toContainText('SYN 0(0)');
  await expect(page.locator('.segment[data-frame="3"]')).toContainText(/SYN \d{5,}\(0\)/);

  // Zoom buttons change the scale.
  await page.getByTestId('zoom-in').click();
  await expect(page.getByTestId('zoom-level')).toHaveText('125%');

  // Dark theme screenshot.
  const theme = page.getByTestId('theme-select');
  if ((await theme.count()) > 0) {
    await theme.selectOption('dark');
    await page.screenshot({ path: resolve(artifactsDir, 'ladder-demo-dark.png') });
    await theme.selectOption('light');
  }
  expect(errors.filter((e) => /Content Security Policy|Uncaught/i.test(e))).toEqual([]);
});

test('the ladder exports download SVG with one element per segment', async ({ page }) => {
  await openLadder(page);
  await page.getByTestId('ladder-export-open').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-svg').click()]);
  const path = await download.path();
  const { readFileSync } = await import('node:fs');
  const svg = readFileSync(path!, 'utf8');
  expect(svg.match(/class="segment /g)?.length).toBe(16);
  expect(svg).toContain('data-frame="18"');
});

test.describe('a lab run (tcplab’s own stack on both hosts)', () => {
  let lab: Served;
  test.beforeAll(async () => {
    lab = await startServe(['--lab', 'handshake']);
  });
  test.afterAll(async () => {
    await lab?.stop();
  });

  test('arrows slant from send to receive, states are the stack’s own, timers have lanes', async ({ page }) => {
    await page.goto(lab.url);
    await page.getByTestId('locale-select').selectOption('en');
    await page.locator('[data-tab="ladder"]').click();
    const select = page.getByTestId('conversation-select');
    await expect(select).toContainText('192.0.2.1');
    const segments = Number(/\((\d+) segments\)/.exec((await select.locator('option:checked').textContent()) ?? '')![1]);
    expect(segments).toBeGreaterThan(10);
    await page.getByTestId('zoom-fit').click();
    await expect(page.getByTestId('ladder-svg')).toHaveAttribute('data-total-arrows', String(segments));
    const arrows = page.getByTestId('ladder-arrow');
    await expect(arrows).toHaveCount(segments);
    // Two-sided: every arrow ends lower than it starts (received after it was sent).
    const slants = await arrows.evaluateAll((els) =>
      els.map((e) => {
        const l = e.querySelector('line.shaft')!;
        return Number(l.getAttribute('y2')) - Number(l.getAttribute('y1'));
      }),
    );
    expect(slants.every((d) => d > 0)).toBe(true);
    expect(await page.locator('.segment.both').count()).toBe(segments);
    expect(await page.locator('.state.inferred').count()).toBe(0);
    await expect(page.getByTestId('ladder-legend')).toContainText('reported by tcplab');
    const client = await page.locator('[data-testid="ladder-state"][data-side="0"]').evaluateAll((els) =>
      els
        .map((e) => ({ y: Number(e.querySelector('rect')!.getAttribute('y')), s: e.getAttribute('data-state') }))
        .sort((a, b) => a.y - b.y)
        .map((x) => x.s),
    );
    expect(client.filter((s) => s !== 'CLOSED')).toEqual(['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT']);
    expect(await page.locator('line.timer').count()).toBeGreaterThan(0);
    mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: resolve(artifactsDir, 'ladder-lab-handshake-fit.png') });
    await page.getByTestId('zoom-reset').click();
    await page.screenshot({ path: resolve(artifactsDir, 'ladder-lab-handshake.png') });
  });
});

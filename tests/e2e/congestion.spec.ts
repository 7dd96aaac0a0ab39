import { expect, test, type Locator, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { artifactsDir, startServe, type Served } from './serve-fixture';

/** Congestion view: series lengths read back from the drawn charts (data-series-lengths). */
async function lengths(chart: Locator): Promise<Record<string, number>> {
  await expect(chart).toHaveAttribute('data-series-lengths', /\{/);
  await expect(chart).toHaveAttribute('data-draw-ms', /\d/);
  return JSON.parse((await chart.getAttribute('data-series-lengths'))!) as Record<string, number>;
}

function watchCsp(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/.test(m.text()) || (m.type() === 'error' && !/Failed to load resource/.test(m.text()))) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}

test.describe('congestion on a loss lab (mathis, Reno)', () => {
  let served: Served;
  test.beforeAll(async () => {
    served = await startServe(['--lab', 'mathis']);
  });
  test.afterAll(async () => {
    await served?.stop();
  });

  test('true cwnd and the labelled estimate, markers, time-sequence graph, RTT, throughput; runs overlaid', async ({ page }) => {
    test.setTimeout(150_000);
    const problems = watchCsp(page);
    await page.goto(served.url);
    await page.getByTestId('locale-select').selectOption('en');
    await expect(page.getByTestId('packet-row').first()).toBeVisible();
    await page.locator('[data-tab="congestion"]').click();
    await expect(page.getByTestId('congestion-source')).toHaveAttribute('data-source', 'lab');

    const cwnd = await lengths(page.getByTestId('chart-cwnd'));
    const trueName = Object.keys(cwnd).find((k) => /^cwnd \(/.test(k));
    expect(trueName, JSON.stringify(cwnd)).toBeDefined();
    expect(cwnd[trueName!]).toBeGreaterThan(100);
    expect(cwnd['cwnd estimate']).toBeGreaterThan(0);
    expect(cwnd['ssthresh']).toBeGreaterThan(0);
    // The loss lab has fast retransmits and at least one RTO, each a marker.
    expect(cwnd['fast retransmit']).toBeGreaterThan(0);
    expect(cwnd['RTO']).toBeGreaterThan(0);
    await expect(page.getByTestId('estimate-note')).toContainText('estimate');

    // The time-sequence graph: 3 points per segment bar; the filter counts the same retransmissions.
    const tsg = await lengths(page.getByTestId('chart-tsg'));
    expect(tsg['data segments']! % 3).toBe(0);
    expect(tsg['retransmissions']! / 3).toBeGreaterThan(0);
    expect(tsg['ACK line']).toBeGreaterThan(0);
    expect(tsg['ACK line']).toBe(tsg['receive window']);
    expect(tsg['SYN']).toBe(2);
    // Each loss recovery's recovery point (start, end, gap): recovery ends where the ACK line reaches it.
    expect(tsg['recovery point']! % 3).toBe(0);
    expect(tsg['recovery point']! / 3).toBeGreaterThan(0);
    // This lab runs without SACK: no RFC 6675 pipe, no SACKed/lost bytes.
    expect(cwnd['pipe (RFC 6675)']).toBeUndefined();
    expect(cwnd['SACKed bytes']).toBeUndefined();
    const rtt = await lengths(page.getByTestId('chart-rtt'));
    expect(rtt['RTT sample']).toBeGreaterThan(0);
    const rate = await lengths(page.getByTestId('chart-rate'));
    expect(rate['throughput']).toBe(rate['goodput']);
    mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: resolve(artifactsDir, 'congestion-lab-reno.png') });

    // Another run of the same lab with CUBIC, overlaid on the first.
    await page.getByTestId('lab-select').selectOption('mathis');
    await page.getByTestId('lab-cc').selectOption('cubic');
    await page.getByTestId('lab-loss').fill('1'); // the Mathis lab needs some loss
    await page.getByTestId('lab-run').click();
    await expect(page.getByTestId('congestion-source')).toHaveAttribute('data-source', 'lab', { timeout: 60_000 });
    await expect(page.getByTestId('chart-cwnd')).toHaveAttribute('data-series-lengths', /cwnd \(cubic\)/, { timeout: 30_000 });
    await page.locator('.overlay summary').click();
    await page.getByTestId('overlay-run').first().check();
    await expect(page.getByTestId('chart-cwnd')).toHaveAttribute('data-series-lengths', /cwnd — #\d+ .*\((reno|newreno)\)/);
    await page.screenshot({ path: resolve(artifactsDir, 'congestion-overlay-cubic-reno.png') });
    expect(problems).toEqual([]);
  });
});

test.describe('congestion on the demo capture', () => {
  let served: Served;
  test.beforeAll(async () => {
    served = await startServe();
  });
  test.afterAll(async () => {
    await served?.stop();
  });

  test('a capture shows only analysis series, the estimate labelled, one bar per data segment', async ({ page }) => {
    const problems = watchCsp(page);
    await page.goto(served.url);
    await page.getByTestId('locale-select').selectOption('en');
    await expect(page.getByTestId('status-packets')).toHaveText('18');
    await page.locator('[data-tab="congestion"]').click();
    await expect(page.getByTestId('congestion-source')).toHaveAttribute('data-source', 'capture');
    const cwnd = await lengths(page.getByTestId('chart-cwnd'));
    expect(Object.keys(cwnd).some((k) => /^cwnd \(/.test(k))).toBe(false);
    expect(cwnd['cwnd estimate']).toBeGreaterThan(0);
    const tsg = await lengths(page.getByTestId('chart-tsg'));
    // Count the data segments of the sender with the display filter and compare with the bars.
    await page.locator('[data-tab="packets"]').click();
    await page.getByTestId('filter-input').fill('tcp.len > 0 && tcp.srcport == 80');
    await page.getByTestId('filter-input').press('Enter');
    await expect(page.getByTestId('filter-count')).toHaveAttribute('data-filter', 'tcp.len > 0 && tcp.srcport == 80');
    const shown = Number(await page.getByTestId('filter-count').getAttribute('data-shown'));
    expect(tsg['data segments']! / 3 + (tsg['retransmissions'] ?? 0) / 3).toBe(shown);
    await page.locator('[data-tab="congestion"]').click();
    // The shared cursor is drawn over every chart once it is set (playback step).
    await expect(page.getByTestId('chart-cursor')).toHaveCount(0);
    for (let i = 0; i < 8; i++) await page.getByTestId('playback-forward').click();
    await expect(page.getByTestId('chart-cursor')).toHaveCount(4);
    await page.getByTestId('theme-select').selectOption('dark');
    await expect(page.getByTestId('chart-cwnd')).toHaveAttribute('data-draw-ms', /\d/);
    mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: resolve(artifactsDir, 'congestion-demo-dark.png') });
    expect(problems).toEqual([]);
  });
});

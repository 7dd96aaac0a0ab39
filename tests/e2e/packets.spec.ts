import { expect, test, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { artifactsDir, startServe, type Served } from './serve-fixture';

/** Packets view: display filter (results and errors), analysis colours, field ↔ hex both ways. */
function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    // CSP violations and script errors; a missing favicon (404) is not a problem of this view.
    if (/Content Security Policy|Refused to/.test(m.text()) || (m.type() === 'error' && !/Failed to load resource/.test(m.text()))) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}

async function submitFilter(page: Page, text: string): Promise<void> {
  await page.getByTestId('filter-input').fill(text);
  await page.getByTestId('filter-input').press('Enter');
}

async function applyFilter(page: Page, text: string): Promise<void> {
  await submitFilter(page, text);
  // The result arrives asynchronously; the count names the filter it belongs to.
  await expect(page.getByTestId('filter-count')).toHaveAttribute('data-filter', text);
}

test.describe('packets on the demo capture', () => {
  let served: Served;
  test.beforeAll(async () => {
    served = await startServe();
  });
  test.afterAll(async () => {
    await served?.stop();
  });

  test('display filter, errors with a column, field ↔ hex linking both ways', async ({ page }) => {
    const problems = watchConsole(page);
    await page.goto(served.url);
    await page.getByTestId('locale-select').selectOption('en');
    await expect(page.getByTestId('status-packets')).toHaveText('18');
    await expect(page.getByTestId('packet-row')).toHaveCount(18);
    // '/' focuses the display filter.
    await page.locator('body').press('/');
    await expect(page.getByTestId('filter-input')).toBeFocused();

    // The SYN and the SYN-ACK: frames 3 and 4 of the demo.
    await applyFilter(page, 'tcp.port == 80 && tcp.flags.syn == 1');
    await expect(page.getByTestId('filter-count')).toHaveAttribute('data-shown', '2');
    const synRows = await page.getByTestId('packet-row').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-no'))));
    expect(synRows).toEqual([3, 4]);
    await expect(page.locator('[data-testid="packet-row"].flag-syn')).toHaveCount(2);

    await applyFilter(page, '!arp');
    await expect(page.getByTestId('filter-count')).toHaveAttribute('data-shown', '16');
    await applyFilter(page, 'arp || tcp.stream eq 0 && tcp.flags.fin == 1');
    // The table is replaced when the filter's result arrives; poll until it is (reading at once
    // raced with it and saw the previous filter's rows 3, 4 under load).
    const shownRows = () => page.getByTestId('packet-row').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-no'))));
    await expect.poll(async () => (await shownRows()).slice(0, 2)).toEqual([1, 2]);
    const mixed = await shownRows();
    expect(mixed.length).toBeGreaterThan(2);

    // A bad filter: the error names the column, the table keeps the previous result.
    await submitFilter(page, 'tcp.port = 80');
    await expect(page.getByTestId('filter-error')).toHaveAttribute('data-column', '10');
    await expect(page.getByTestId('filter-error')).toContainText('use "=="');
    await submitFilter(page, 'tcp.prot == 80');
    await expect(page.getByTestId('filter-error')).toContainText('unknown field "tcp.prot"');
    mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: resolve(artifactsDir, 'packets-filter-error.png') });
    await page.getByTestId('filter-clear').click();
    await expect(page.getByTestId('filter-error')).toHaveCount(0);
    await expect(page.getByTestId('packet-row')).toHaveCount(18);

    // Field → bytes: the TCP source port field marks exactly its 2 bytes.
    await page.locator('[data-testid="packet-row"][data-no="3"]').click();
    await expect(page.getByTestId('detail-tree')).toContainText('Transmission Control Protocol');
    const field = page.getByTestId('detail-node').filter({ hasText: /^\s*Source Port/ }).first();
    await field.click();
    const start = Number(await field.getAttribute('data-start'));
    const end = Number(await field.getAttribute('data-end'));
    expect(end - start).toBe(2);
    const marked = await page.locator('[data-testid="hex-byte"].hl').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-i'))));
    expect(marked).toEqual([start, start + 1]);

    // Bytes → field: a click on byte 0 selects the innermost field holding it (Ethernet destination, 0–6).
    await page.locator('[data-testid="hex-byte"][data-i="0"]').click();
    const active = page.locator('[data-testid="detail-node"].active');
    await expect(active).toHaveCount(1);
    await expect(active).toHaveAttribute('data-start', '0');
    await expect(active).toHaveAttribute('data-end', '6');
    // And a byte inside the source port selects the source port field again.
    await page.locator(`[data-testid="hex-byte"][data-i="${start + 1}"]`).click();
    await expect(active).toContainText('Source Port');
    await page.screenshot({ path: resolve(artifactsDir, 'packets-demo-hex.png') });
    expect(problems).toEqual([]);
  });
});

test.describe('packets on a loss lab', () => {
  let served: Served;
  test.beforeAll(async () => {
    served = await startServe(['--lab', 'mathis']);
  });
  test.afterAll(async () => {
    await served?.stop();
  });

  test('retransmissions are coloured and found by tcp.analysis.retransmission', async ({ page }) => {
    const problems = watchConsole(page);
    await page.goto(served.url);
    await page.getByTestId('locale-select').selectOption('en');
    await expect(page.getByTestId('packet-row').first()).toBeVisible();
    await applyFilter(page, 'tcp.analysis.retransmission');
    const shown = Number(await page.getByTestId('filter-count').getAttribute('data-shown'));
    expect(shown).toBeGreaterThan(0);
    const rows = page.getByTestId('packet-row');
    await expect(rows.first()).toHaveClass(/flag-(fast_)?retransmission|flag-spurious_retransmission/);
    const classes = await rows.evaluateAll((els) => els.map((e) => e.className));
    expect(classes.length).toBe(Math.min(shown, classes.length));
    for (const c of classes) expect(c).toMatch(/flag-(fast_)?retransmission|flag-spurious_retransmission/);
    // Duplicate ACKs come with a loss: coloured as warnings.
    await applyFilter(page, 'tcp.analysis.duplicate_ack');
    await expect(rows.first()).toHaveClass(/flag-duplicate_ack/);
    await page.getByTestId('filter-clear').click();
    mkdirSync(artifactsDir, { recursive: true });
    await applyFilter(page, 'tcp.analysis.flags');
    await page.screenshot({ path: resolve(artifactsDir, 'packets-lab-colours.png') });
    expect(problems).toEqual([]);
  });
});

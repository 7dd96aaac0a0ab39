import { CliUsageError, type CliCommand } from '../command';
import { findLab, labs, runLab, type LabParams, type LabRun, type PerHost } from '../../labs';
import { writeLabJson, writeLabPcap } from '../../labs/export';
import { CONGESTION_NAMES, isCongestionName } from '../../stack/tcp/congestion';

/** 'A,B' → [A, B]; either side may be empty ('1000,' pins only A). */
function parsePair(name: string, text: string): PerHost<number> {
  const parts = text.split(',');
  if (parts.length !== 2) throw new CliUsageError(`--${name} expects A,B (two numbers, either may be empty), got '${text}'`);
  return parts.map((p, i) => {
    const s = p.trim();
    if (s === '') return null;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new CliUsageError(`--${name}: ${i === 0 ? 'A' : 'B'} value '${s}' is not a non-negative integer`);
    return n;
  }) as PerHost<number>;
}

function formatRun(run: LabRun, lang: 'en' | 'zh-CN'): string {
  const lines: string[] = [];
  const p = run.params;
  lines.push(
    `params: cc=${p.cc} loss=${p.loss} delay=${p.delayMs}ms rate=${p.rateMbps ? `${p.rateMbps}Mbit/s` : 'unlimited'} seed=${p.seed}` +
      ` isn=${p.isn.map((x) => x ?? '-').join(',')} mss=${p.mss.map((x) => x ?? '-').join(',')} rcvbuf=${p.rcvbuf.map((x) => x ?? '-').join(',')}`,
  );
  lines.push(`simulated ${(run.durationMs / 1000).toFixed(3)} s, ${run.frames.length} frames, ${run.events.length} probe events`);
  const results = Object.entries(run.results);
  if (results.length) {
    lines.push(lang === 'zh-CN' ? '结果:' : 'results:');
    for (const [k, v] of results) lines.push(`  ${k}: ${v}`);
  }
  lines.push(lang === 'zh-CN' ? '预期事件:' : 'expected events:');
  for (const c of run.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.text[lang]} — ${c.detail}`);
  return lines.join('\n') + '\n';
}

export const labCommand: CliCommand = {
  name: 'lab',
  summary: 'Run a deterministic lab over the virtual link (handshake, loss recovery, CUBIC vs Vegas …)',
  usage: 'lab --list | lab NAME [--cc NAME] [--loss P] [--delay MS] [--rate MBPS] [--seed N] [--isn A,B] [--mss A,B] [--rcvbuf A,B] [--pcap OUT] [--json OUT]',
  positionals: { min: 0, max: 1, names: 'NAME' },
  options: [
    { name: 'list', type: 'boolean', description: 'List the labs' },
    { name: 'cc', type: 'string', valueName: 'NAME', description: `Congestion control: ${CONGESTION_NAMES.join(', ')}` },
    { name: 'loss', type: 'number', valueName: 'P', description: 'Loss probability per frame on the A→B direction (0..1)' },
    { name: 'delay', type: 'number', valueName: 'MS', description: 'One-way delay in ms' },
    { name: 'rate', type: 'number', valueName: 'MBPS', description: 'Bottleneck rate A→B in Mbit/s (0 = unlimited)' },
    { name: 'seed', type: 'number', valueName: 'N', description: 'Random seed (same seed, same bytes)' },
    { name: 'isn', type: 'string', valueName: 'A,B', description: 'Initial sequence numbers of host A and B' },
    { name: 'mss', type: 'string', valueName: 'A,B', description: 'MSS announced by host A and B' },
    { name: 'rcvbuf', type: 'string', valueName: 'A,B', description: 'Receive buffer of host A and B, bytes' },
    { name: 'pcap', type: 'string', valueName: 'OUT', description: "Write the frames host A saw as a pcap file" },
    { name: 'pcap-host', type: 'string', valueName: 'HOST', description: 'Host whose view --pcap writes (default A)' },
    { name: 'json', type: 'string', valueName: 'OUT', description: 'Write params, results, checks, probe series and events as JSON' },
    { name: 'lang', type: 'string', valueName: 'en|zh-CN', description: 'Language of titles and narratives (default en)' },
    { name: 'quiet', short: 'q', type: 'boolean', description: 'Print only the expected-event checks' },
  ],
  details:
    'Examples:\n  tcplab lab --list\n  tcplab lab handshake --isn 1000,5000 --mss 1460,536 --pcap hs.pcap\n' +
    '  tcplab lab fast-recovery --cc newreno --loss 0.01 --seed 7 --json fr.json\n' +
    'A lab exits 0 when it ran, even if a changed parameter makes an expected event not happen (shown as FAIL).',
  async run(args, io) {
    const o = args.options;
    const lang = (o['lang'] as string | undefined) ?? 'en';
    if (lang !== 'en' && lang !== 'zh-CN') throw new CliUsageError(`--lang must be en or zh-CN, got '${lang}'`);
    if (o['list'] || args.positionals.length === 0) {
      if (!o['list']) throw new CliUsageError('missing NAME (or --list)');
      const width = Math.max(...labs.map((l) => l.name.length), 4);
      for (const l of labs) io.stdout.write(`${l.name.padEnd(width)}  ${l.title[lang]}\n`);
      return 0;
    }
    const name = args.positionals[0]!;
    const lab = findLab(name);
    if (!lab) throw new CliUsageError(`unknown lab '${name}' (tcplab lab --list shows ${labs.length} labs)`);
    const overrides: Partial<LabParams> = {};
    if (o['cc'] !== undefined) {
      const cc = String(o['cc']);
      if (!isCongestionName(cc)) throw new CliUsageError(`--cc: unknown congestion control '${cc}' (known: ${CONGESTION_NAMES.join(', ')})`);
      overrides.cc = cc;
    }
    if (o['loss'] !== undefined) overrides.loss = o['loss'] as number;
    if (o['delay'] !== undefined) overrides.delayMs = o['delay'] as number;
    if (o['rate'] !== undefined) overrides.rateMbps = o['rate'] as number;
    if (o['seed'] !== undefined) overrides.seed = o['seed'] as number;
    if (o['isn'] !== undefined) overrides.isn = parsePair('isn', String(o['isn']));
    if (o['mss'] !== undefined) overrides.mss = parsePair('mss', String(o['mss']));
    if (o['rcvbuf'] !== undefined) overrides.rcvbuf = parsePair('rcvbuf', String(o['rcvbuf']));
    let run: LabRun;
    try {
      run = await runLab(lab, overrides);
    } catch (e) {
      if (e instanceof RangeError) throw new CliUsageError(e.message);
      throw e;
    }
    if (!o['quiet']) {
      io.stdout.write(`${lab.name}: ${lab.title[lang]}\n\n${lab.narrative[lang]}\n\n`);
    }
    io.stdout.write(formatRun(run, lang));
    if (o['pcap'] !== undefined) {
      const host = (o['pcap-host'] as string | undefined) ?? 'A';
      const n = writeLabPcap(String(o['pcap']), run, host);
      io.stderr.write(`wrote ${n} frames seen by host ${host} to ${o['pcap']}\n`);
    }
    if (o['json'] !== undefined) {
      writeLabJson(String(o['json']), run);
      io.stderr.write(`wrote ${o['json']}\n`);
    }
    return 0;
  },
};

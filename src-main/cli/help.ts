import type { CliCommand, OptionSpec } from './command';

export function formatOverview(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 8);
  const lines = [
    'tcplab — see TCP/IP at work',
    '',
    'Usage: tcplab <command> [options]',
    '       tcplab <command> --help',
    '       tcplab --version',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
  ];
  return lines.join('\n');
}

function optionLabel(o: OptionSpec): string {
  const value = o.type === 'boolean' || o.type === 'count' ? '' : ` ${o.valueName ?? 'VALUE'}`;
  const forms: string[] = [];
  if (o.short) forms.push(`-${o.short}${value}`);
  if (!o.shortOnly) forms.push(`--${o.name}${value}`);
  return forms.join(', ');
}

export function formatCommandHelp(c: CliCommand): string {
  const labels = c.options.map(optionLabel);
  const width = Math.max(0, ...labels.map((l) => l.length));
  const lines = [`Usage: tcplab ${c.usage}`, '', c.summary, ''];
  if (c.options.length > 0) {
    lines.push('Options:');
    c.options.forEach((o, i) => lines.push(`  ${labels[i]!.padEnd(width)}  ${o.description}`));
    lines.push('');
  }
  if (c.details) lines.push(c.details.trimEnd(), '');
  return lines.join('\n');
}

import { CliUsageError, type OptionSpec, type ParsedArgs } from './command';

/**
 * Parses argv for one subcommand: `--name value`, `--name=value`, boolean `--flag`, clustered short
 * flags `-nvX`, counting flags (`-vvv`, `-tttt`), short options with a value (`-c 5`, `-c5`),
 * repeatable list options (`-e a -e b`), and `--` to end options. Unknown flags throw.
 */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const byLong = new Map<string, OptionSpec>();
  const byShort = new Map<string, OptionSpec>();
  for (const s of specs) {
    if (!s.shortOnly) byLong.set(s.name, s);
    if (s.short) byShort.set(s.short, s);
  }
  const options: ParsedArgs['options'] = {};
  const positionals: string[] = [];

  const setValue = (spec: OptionSpec, raw: string | undefined, shown: string): void => {
    if (spec.type === 'boolean') {
      options[spec.name] = true;
      return;
    }
    if (spec.type === 'count') {
      options[spec.name] = ((options[spec.name] as number | undefined) ?? 0) + 1;
      return;
    }
    if (raw === undefined) throw new CliUsageError(`option ${shown} needs a value (${spec.valueName ?? 'VALUE'})`);
    if (spec.type === 'number') {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) {
        throw new CliUsageError(`option ${shown} expects a number, got '${raw}'`);
      }
      options[spec.name] = n;
    } else if (spec.type === 'list') {
      const list = (options[spec.name] as string[] | undefined) ?? [];
      list.push(raw);
      options[spec.name] = list;
    } else {
      options[spec.name] = raw;
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      const spec = byLong.get(name);
      if (!spec) throw new CliUsageError(`unknown option --${name}`);
      const takesValue = spec.type === 'string' || spec.type === 'number' || spec.type === 'list';
      if (!takesValue && eq >= 0) throw new CliUsageError(`option --${name} takes no value`);
      const raw = eq >= 0 ? arg.slice(eq + 1) : takesValue ? argv[++i] : undefined;
      setValue(spec, raw, `--${name}`);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // A cluster of short flags; the first one taking a value consumes the rest or the next arg.
      for (let j = 1; j < arg.length; j++) {
        const ch = arg[j]!;
        const spec = byShort.get(ch);
        if (!spec) throw new CliUsageError(`unknown option -${ch}`);
        const takesValue = spec.type === 'string' || spec.type === 'number' || spec.type === 'list';
        if (takesValue) {
          const rest = arg.slice(j + 1);
          const raw = rest.length > 0 ? rest : argv[++i];
          setValue(spec, raw, `-${ch}`);
          break;
        }
        setValue(spec, undefined, `-${ch}`);
      }
      continue;
    }
    positionals.push(arg);
  }
  return { options, positionals };
}

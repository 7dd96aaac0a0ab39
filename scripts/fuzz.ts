/**
 * `npm run fuzz`: mutated frames through decodePacket (and every 100th through the detail tree),
 * by default 10M frames. Options: --frames N, --seed S, --tree-every K. Prints one summary line;
 * exits 1 if any invariant broke (an exception escaped, an 'internal' error, a snap-length cut
 * reported as malformed, a detail-tree range outside the frame), printing the failing frames in
 * hex so they can be replayed.
 */
import { runFuzz } from '../tests/wire/fuzz-lib';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    process.stderr.write(`fuzz: --${name} needs a non-negative integer, got ${JSON.stringify(process.argv[i + 1])}\n`);
    process.exit(2);
  }
  return v;
}

const frames = arg('frames', 10_000_000);
const seed = arg('seed', 20261122);
const treeEvery = Math.max(1, arg('tree-every', 100));
const t0 = performance.now();
const stats = runFuzz(seed, frames, treeEvery, (done) => {
  process.stderr.write(`\rfuzz: ${done.toLocaleString('en-US')} / ${frames.toLocaleString('en-US')} frames`);
});
const s = (performance.now() - t0) / 1000;
process.stderr.write('\n');
for (const f of stats.failures) process.stdout.write(`FAIL ${f}\n`);
process.stdout.write(
  `fuzz: ${stats.frames} frames (seed ${seed}), ${stats.trees} detail trees, ${stats.failures.length} failures; ` +
    `clean ${stats.clean}, truncated ${stats.truncated}, malformed ${stats.malformed}; ` +
    `${s.toFixed(1)} s, ${Math.round(stats.frames / s)} frames/s\n`,
);
process.exit(stats.failures.length > 0 ? 1 : 0);

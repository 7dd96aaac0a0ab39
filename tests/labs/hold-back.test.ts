import { describe, expect, it } from 'vitest';
import { BASE_PARAMS } from '../../src-main/labs/types';
import { LabWorld } from '../../src-main/labs/world';
import { HoldBack } from '../../src-main/labs/hold-back';

/** A minimal Ethernet frame whose last byte tells the frames apart. */
function frame(n: number): Uint8Array {
  const f = new Uint8Array(60);
  f.fill(0xff, 0, 6);
  f[12] = 0x08;
  f[59] = n;
  return f;
}

function setup() {
  const world = new LabWorld({ ...BASE_PARAMS, delayMs: 10 });
  const link = world.link();
  const a = new HoldBack(link.a, world, 'A');
  const b = new HoldBack(link.b, world, 'B');
  const atB: { n: number; t: number }[] = [];
  const causes: (number | undefined)[] = [];
  b.onReceive((f, meta) => {
    atB.push({ n: f[59]!, t: meta.t });
    causes.push(meta.causeId);
  });
  return { world, a, b, atB, causes };
}

describe('HoldBack (a lab path spot that delays chosen frames)', () => {
  it('passes every frame unchanged and on time while no rule is set', () => {
    const { world, a, atB } = setup();
    a.send(frame(1));
    a.send(frame(2));
    world.runFor(50);
    expect(atB).toEqual([
      { n: 1, t: 10 },
      { n: 2, t: 10 },
    ]);
    expect(a.held).toBe(0);
  });

  it('holds a chosen outgoing frame back: later frames overtake it; it arrives the delay later with its cause, and the hold is published', () => {
    const { world, a, atB, causes } = setup();
    a.rule = (f, dir) => (dir === 'tx' && f[59] === 1 ? 25 : 0);
    a.send(frame(1), { causeId: 101 });
    world.runFor(1);
    a.send(frame(2), { causeId: 102 });
    a.send(frame(3), { causeId: 103 });
    world.runFor(100);
    expect(atB.map((x) => x.n)).toEqual([2, 3, 1]);
    // The held frame keeps its cause: the ladder pairs it with the frame that was sent.
    expect(causes).toEqual([102, 103, 101]);
    expect(atB.find((x) => x.n === 1)!.t).toBe(35);
    expect(atB.find((x) => x.n === 2)!.t).toBe(11);
    expect(a.held).toBe(1);
    const holds = world.find({ layer: 'lab', kind: 'hold-back', subject: 'A' });
    expect(holds).toHaveLength(1);
    expect(holds[0]!.data).toEqual({ dir: 'tx', delayMs: 25 });
    expect(holds[0]!.causeId).toBe(101);
    expect(holds[0]!.t).toBe(0);
  });

  it('holds a chosen incoming frame before the host sees it, stamped with its release time', () => {
    const { world, a, b, atB } = setup();
    b.rule = (f, dir) => (dir === 'rx' && f[59] === 1 ? 7 : 0);
    a.send(frame(1));
    a.send(frame(2));
    world.runFor(100);
    expect(atB).toEqual([
      { n: 2, t: 10 },
      { n: 1, t: 17 },
    ]);
    expect(b.held).toBe(1);
  });

  it('is deterministic: the same sends give the same arrivals', () => {
    const once = () => {
      const { world, a, atB } = setup();
      let k = 0;
      a.rule = () => (k++ % 3 === 0 ? 4 : 0);
      for (let i = 0; i < 9; i++) a.send(frame(i));
      world.runFor(100);
      return atB;
    };
    expect(once()).toEqual(once());
  });
});

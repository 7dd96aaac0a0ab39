import { describe, expect, it } from 'vitest';
import { ProbeBus, type ProbeEvent } from '@shared/model/probe';
import { createCongestionControl } from '../../src-main/stack/tcp/congestion';
import { CongestionProbe, congestionSeries, publishCongestion } from '../../src-main/stack/tcp/congestion/probes';

describe('congestion probes', () => {
  it('publish the whole state with its cause, only on change, and fold into series', () => {
    const bus = new ProbeBus();
    const events: ProbeEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const cc = createCongestionControl('cubic');
    cc.init(1000, 0);
    const probe = new CongestionProbe(bus, 'A-B');
    const sender = { flightSize: 0, inRecovery: false };
    expect(probe.publish(0, cc, 'init', sender, 7)).toBeDefined();
    expect(probe.publish(1, cc, 'ack', sender)).toBeUndefined(); // nothing changed
    cc.onAck({ now: 2, ackedBytes: 1000, flightSize: 4000, mss: 1000, appLimited: false });
    probe.publish(2, cc, 'ack', { flightSize: 3000, inRecovery: false });
    cc.onEnterRecovery({ now: 3, flightSize: 10000, mss: 1000, cause: 'fast-retransmit', sack: true });
    probe.publish(3, cc, 'enter-recovery', { flightSize: 10000, inRecovery: true, pipe: 9000, recoveryPoint: 12345, sackedBytes: 3000, lostBytes: 1000 });
    expect(events).toHaveLength(3);
    expect(events[0]!.causeId).toBe(7);
    expect(events[0]!.data['ssthresh']).toBeNull();
    expect(events[1]!.data['changed']).toBe('cwnd,flightSize');
    const rec = events[2]!.data;
    expect(rec['event']).toBe('enter-recovery');
    expect(rec['ssthresh']).toBe(7000);
    expect(rec['cc.wMax']).toBe(5);
    expect(typeof rec['cc.k']).toBe('number');
    expect(String(rec['changed'])).toContain('pipe');
    const s = congestionSeries(events).get('A-B')!;
    expect(s.cwnd).toEqual([4000, 5000, 7000]);
    expect(s.ssthresh).toEqual([null, null, 7000]);
    expect(s.event).toEqual(['init', 'ack', 'enter-recovery']);
    expect(s.algorithm['wMax']).toHaveLength(3);
    const id = publishCongestion(bus, { t: 4, subject: 'A-B', cc, cause: 'rto', sender });
    expect(events[3]!.id).toBe(id);
  });
});

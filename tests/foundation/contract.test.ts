import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, CodecError } from '@shared/ipc/codec';
import { requestSchemas } from '@shared/ipc/contract';
import { SchemaError } from '@shared/ipc/schema';
import { Outbox } from '../../src-main/session/outbox';

describe('request schemas', () => {
  it('accept a well-formed request', () => {
    expect(requestSchemas['session.frames'].parse({ sessionId: 1, from: 1, count: 100 })).toEqual({ sessionId: 1, from: 1, count: 100 });
    expect(requestSchemas['session.open'].parse({ source: { kind: 'file', path: '/tmp/x.pcap' } })).toEqual({
      source: { kind: 'file', path: '/tmp/x.pcap' },
    });
  });
  it('name the field, the expectation and what was found', () => {
    expect(() => requestSchemas['session.frames'].parse({ sessionId: 1, from: 0, count: 5 })).toThrow(
      new SchemaError('from', 'integer in [1, 9007199254740991]', 'number 0'),
    );
    expect(() => requestSchemas['session.open'].parse({ source: { kind: 'ftp' } })).toThrow(/source\.kind: expected one of demo, file, interface, tap, lab, found string "ftp"/);
    expect(() => requestSchemas['session.close'].parse({ sessionId: 1, extra: true })).toThrow(/extra: expected no such field/);
    expect(() => requestSchemas['frame.detail'].parse('frame 1')).toThrow(/expected object \{sessionId, frame\}, found string/);
  });
});

describe('binary message codec', () => {
  it('round-trips values with byte arrays as attachments', () => {
    const value = { type: 'event', payload: { bytes: Uint8Array.of(1, 2, 3), nested: [{ b: new Uint8Array(17).fill(9) }], n: 5 } };
    const encoded = encodeMessage(value);
    expect(encoded[0]).toBe(0x54);
    const decoded = decodeMessage(encoded) as typeof value;
    expect(decoded.payload.n).toBe(5);
    expect([...decoded.payload.bytes]).toEqual([1, 2, 3]);
    expect(decoded.payload.nested[0]!.b).toEqual(new Uint8Array(17).fill(9));
  });
  it('rejects garbage with a specific error', () => {
    expect(() => decodeMessage(Uint8Array.of(1, 2, 3))).toThrow(CodecError);
    const good = encodeMessage({ a: Uint8Array.of(1) });
    expect(() => decodeMessage(good.subarray(0, good.length - 1))).toThrow(/runs past the message end/);
  });
});

describe('bounded outbox', () => {
  it('counts what it drops and reports it once with the next batch', () => {
    const box = new Outbox<number>(3);
    for (let i = 0; i < 5; i++) box.push(i);
    expect(box.take()).toEqual({ items: [0, 1, 2], dropped: 2 });
    expect(box.take()).toEqual({ items: [], dropped: 0 });
    expect(box.totalDropped).toBe(2);
  });
  it('hands out at most max items per take, keeping the rest in order', () => {
    const box = new Outbox<number>(10);
    for (let i = 0; i < 5; i++) box.push(i);
    expect(box.take(2).items).toEqual([0, 1]);
    expect(box.take(10).items).toEqual([2, 3, 4]);
  });
});

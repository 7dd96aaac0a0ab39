import { describe, expect, it } from 'vitest';
import { missing, title } from '../support/requirements';
import { uniqueSuffix } from '../support/netns';
import { TapDevice, TapError } from '../../src-main/link/tap';

const why = missing('root', 'tun');

describe.skipIf(why !== null)(title(why, 'TAP device errors'), () => {
  it('a missing TAP without --create: ENODEV with the one-time fix', async () => {
    const err = await TapDevice.open(`nx${uniqueSuffix()}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TapError);
    expect((err as TapError).code).toBe('ENODEV');
    expect((err as TapError).message).toMatch(/sudo ip tuntap add dev nx\w+ mode tap user \$USER/);
  });

  it('an interface that is not a TAP: EINVAL', async () => {
    await expect(TapDevice.open('lo')).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('a bad name: EINVAL before any system call', async () => {
    await expect(TapDevice.open('this-name-is-too-long')).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(TapDevice.open('a/b')).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('a TAP already attached by someone else: EBUSY; after close it is gone (created) and can be made again', async () => {
    const name = `tlt${uniqueSuffix()}`;
    const first = await TapDevice.open(name, { create: true });
    expect(first.created).toBe(true);
    await expect(TapDevice.open(name)).rejects.toMatchObject({ code: 'EBUSY' });
    await first.close();
    await first.close(); // idempotent
    await expect(TapDevice.open(name)).rejects.toMatchObject({ code: 'ENODEV' });
    const again = await TapDevice.open(name, { create: true });
    await again.close();
  });
});

import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { missing, title } from '../support/requirements';
import { sh, uniqueSuffix } from '../support/netns';
import { TapDevice, TapError } from '../../src-main/link/tap';

/** Opens a TAP in a child process running as `nobody` (uid 65534, no capabilities). */
function openAsNobody(name: string, create = false): { ok: boolean; code?: string; message?: string; fix?: { kind: string; command: string } | null } {
  const out = execFileSync(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', 'tests/stack/fixtures/tap-open.ts', name, ...(create ? ['--create'] : [])],
    { encoding: 'utf8', env: { ...process.env, HOME: '/tmp', TSX_TSCONFIG_PATH: 'tsconfig.node.json' }, timeout: 30_000 },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as ReturnType<typeof openAsNobody>;
}

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

describe.skipIf(why !== null)(title(why, 'TAP permissions (as an unprivileged user)'), () => {
  it('creating a TAP without CAP_NET_ADMIN: EPERM with the one-time fix', () => {
    const name = `nx${uniqueSuffix()}`;
    const r = openAsNobody(name, true);
    expect(r).toMatchObject({ ok: false, code: 'EPERM' });
    expect(r.message).toMatch(/needs CAP_NET_ADMIN.*\n\s+sudo ip tuntap add dev nx\w+ mode tap user \$USER/);
    // The same command as data, for the UI's copy button.
    expect(r.fix).toEqual({ kind: 'tap-create', command: `sudo ip tuntap add dev ${name} mode tap user $USER` });
  });

  it("another user's persistent TAP: EPERM; one made with `user nobody`: attaches", () => {
    const theirs = `tlp${uniqueSuffix()}`;
    const mine = `tlq${uniqueSuffix()}`;
    sh('ip', ['tuntap', 'add', 'dev', theirs, 'mode', 'tap', 'user', 'root']);
    sh('ip', ['tuntap', 'add', 'dev', mine, 'mode', 'tap', 'user', 'nobody']);
    try {
      const denied = openAsNobody(theirs);
      expect(denied).toMatchObject({ ok: false, code: 'EPERM' });
      expect(denied.message).toMatch(/belongs to another user/);
      expect(denied.fix).toEqual({ kind: 'tap-owner', command: `sudo ip tuntap del dev ${theirs} mode tap && sudo ip tuntap add dev ${theirs} mode tap user $USER` });
      expect(openAsNobody(mine)).toEqual({ ok: true });
    } finally {
      sh('ip', ['tuntap', 'del', 'dev', theirs, 'mode', 'tap']);
      sh('ip', ['tuntap', 'del', 'dev', mine, 'mode', 'tap']);
    }
  });
});

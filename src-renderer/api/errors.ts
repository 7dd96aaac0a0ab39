import type { PermissionFix } from '@shared/ipc/contract';

/** The one-time fix a failed request carries (EACCES from a capture or a TAP), or null. */
export function permissionFixOf(err: unknown): PermissionFix | null {
  const fix = (err as { fix?: unknown } | null)?.fix as Partial<PermissionFix> | undefined;
  if (!fix || typeof fix.command !== 'string' || (fix.kind !== 'capture' && fix.kind !== 'tap-create' && fix.kind !== 'tap-owner')) return null;
  return { kind: fix.kind, command: fix.command };
}

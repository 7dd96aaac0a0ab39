import type { RpcErrorShape } from '@shared/ipc/contract';

/** The two Electron IPC channels of the contract: requests in, events out. */
export const IPC_REQUEST_CHANNEL = 'tcplab:request';
export const IPC_EVENT_CHANNEL = 'tcplab:event';

export type IpcReply =
  | { ok: true; result: unknown }
  | { ok: false; error: RpcErrorShape };

/** Socket-level errors with the errno names people know (design principle 7). */
export type Errno =
  | 'ECONNREFUSED'
  | 'ETIMEDOUT'
  | 'EADDRINUSE'
  | 'EADDRNOTAVAIL'
  | 'ECONNRESET'
  | 'EPIPE'
  | 'ENOTCONN'
  | 'EISCONN'
  | 'EMSGSIZE'
  | 'EHOSTUNREACH'
  | 'ENETUNREACH'
  | 'ENOBUFS'
  | 'EACCES'
  | 'EINVAL'
  | 'EBADF'
  | 'EPROTO'
  | 'EDESTADDRREQ';

export class SocketError extends Error {
  override name = 'SocketError';
  constructor(
    readonly code: Errno,
    message: string,
  ) {
    super(message.startsWith(code) || message.includes(`(${code})`) ? message : `${message} (${code})`);
  }
}

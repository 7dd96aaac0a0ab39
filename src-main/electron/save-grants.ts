import { writeFileAtomic } from '../capture/atomic-file';
import { RpcError, type RequestParams, type RequestResult } from '@shared/ipc/contract';

/**
 * Paths the user chose in Electron's native save dialog, each good for ONE write. The renderer's
 * requests that write files (`session.save`, `file.write`) are refused for any other path, so a
 * compromised page cannot write where the user did not point. No Electron import: unit-tested.
 */
export class SaveGrants {
  private readonly granted = new Set<string>();

  grant(path: string): void {
    this.granted.add(path);
  }

  /** Uses up the grant for `path`; EACCES when the dialog did not just grant it. */
  take(request: string, path: string): void {
    if (!this.granted.delete(path)) throw new RpcError('EACCES', `${request}: '${path}' was not chosen in the save dialog`);
  }

  /** `file.write`: the bytes to a granted path, via `<path>.partial` and a rename (never half a file). */
  write(params: RequestParams<'file.write'>): RequestResult<'file.write'> {
    this.take('file.write', params.path);
    writeFileAtomic(params.path, params.bytes);
    return { path: params.path, bytes: params.bytes.length };
  }
}

/** Helpers for the diagram tests: a session over a source, run to its end. */
import { Session } from '../../src-main/session/session';
import type { FrameSource } from '../../src-main/session/source';

export async function runSession(source: FrameSource): Promise<Session> {
  return await new Promise<Session>((resolve, reject) => {
    const session: Session = new Session(1, source, {
      onFrame: () => {},
      onProbe: () => {},
      onState: (s) => {
        if (s.state === 'done') resolve(session);
        if (s.state === 'error') reject(new Error(s.error));
      },
    });
    session.start();
  });
}

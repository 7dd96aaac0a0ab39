import { findLab, labs, runLab, type LabParams, type LabRun } from '../../labs';
import type { FrameSource, SourceSink } from '../source';

export { labs };

/** A lab's clock starts at 0; frames get this epoch so their timestamps read as a date. */
const LAB_EPOCH_US = 1_700_000_000_000_000;

/**
 * A lab run as a session: the frames host A's interface saw (what tcpdump on A would capture)
 * become the session's frames, and every probe event of the run (both stacks' true state) its
 * probes. The whole run stays available (`run`) for views that need both sides' times.
 */
export class LabSource implements FrameSource {
  readonly kind = 'lab' as const;
  readonly label: string;
  run: LabRun | undefined;
  private stopped = false;

  constructor(
    readonly labName: string,
    private readonly overrides: Partial<LabParams>,
    readonly captureHost = 'A',
  ) {
    const lab = findLab(labName);
    if (!lab) throw new Error(`no lab named '${labName}'; labs: ${labs.map((l) => l.name).join(', ')}`);
    this.label = `lab: ${lab.title.en}`;
  }

  start(sink: SourceSink): void {
    void (async () => {
      try {
        const run = await runLab(findLab(this.labName)!, this.overrides);
        if (this.stopped) return;
        this.run = run;
        for (const f of run.frames) {
          if (f.host !== this.captureHost) continue;
          sink.frame({
            linkType: 1,
            tsUs: LAB_EPOCH_US + Math.round(f.t * 1000),
            data: f.data,
            originalLength: f.origLength ?? f.data.length,
            ...(f.causeId !== undefined ? { causeId: f.causeId } : {}),
          });
        }
        for (const e of run.events) sink.probe(e);
        sink.done();
      } catch (err) {
        sink.error(err as Error);
      }
    })();
  }

  stop(): void {
    this.stopped = true;
  }
}

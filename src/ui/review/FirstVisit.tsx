import { isLocked } from '../../core/case.ts';
import { useApp } from '../../store/index.ts';
import { DropZone } from '../drop/DropZone.tsx';
import { CaseField } from './CaseFields.tsx';

/** The empty case: what to do, in three steps, with the first two right here. */
export function FirstVisit({ over }: { over: boolean }) {
  const c = useApp((s) => s.activeCase);
  if (!c) return null;
  const locked = isLocked(c);
  return (
    <section className="firstvisit" aria-labelledby="firstvisit-title">
      <h2 id="firstvisit-title">No cells yet. Review a slide in three steps:</h2>
      <ol className="firstvisit__steps">
        <li>
          <h3>Name the sample</h3>
          <p className="muted">The sample ID goes on the report and the file names; it is needed to sign.</p>
          <div className="casebar__fields">
            <CaseField label="Sample ID" field="sampleId" value={c.sampleId} locked={locked} />
            <CaseField label="Operator" field="operator" value={c.operator} locked={locked} />
          </div>
        </li>
        <li>
          <h3>Add the cell crops</h3>
          <DropZone over={over} />
        </li>
        <li>
          <h3>Review and sign</h3>
          <p>
            Every cell is sorted into its class on this computer. Go through the groups: select a cell and press the number of its class
            (arrow keys move, <kbd>Enter</kbd> opens a large view). When every cell has a class, <strong>Sign case</strong> and print the
            report.
          </p>
        </li>
      </ol>
    </section>
  );
}

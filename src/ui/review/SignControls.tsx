import { useEffect, useRef, useState } from 'react';
import { isLocked, targetText, type CaseRecord } from '../../core/case.ts';
import { signCase, signCheck, unlockCase } from '../../store/caseActions.ts';
import { useApp } from '../../store/index.ts';
import { goToNextToReview, toReviewCount } from '../../store/reviewActions.ts';
import { focusWasDropped } from '../focus.ts';

/** The sign checklist shows only once signing was tried for this case (no error lines before the user did anything). */
export function SignGate({ c }: { c: CaseRecord }) {
  const tried = useApp((s) => s.signTriedFor === c.id);
  useApp((s) => s.cells); // re-evaluated whenever a cell changes
  if (!tried || isLocked(c)) return null;
  // The signer's name is asked for in the confirmation, so it is not on the checklist.
  const check = signCheck('-');
  if (check.ok) return null;
  return (
    <div className="gate" role="alert">
      <strong>Not ready to sign:</strong>
      <ul id="sign-gate" data-testid="sign-gate">
        {check.reasons.map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
    </div>
  );
}

/** Sign (with a confirmation that asks who signs), or — once signed — who signed and Unlock with a reason. */
export function SignControls({ c, wbcTotal }: { c: CaseRecord; wbcTotal: number }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [signer, setSigner] = useState(c.operator);
  const [reason, setReason] = useState('');
  const [unlocking, setUnlocking] = useState(false);
  const cellCount = useApp((s) => s.order.length);
  const toReview = useApp(toReviewCount);
  const badge = useRef<HTMLParagraphElement>(null);
  const locked = isLocked(c);
  useEffect(() => setSigner(c.operator), [c.operator]);
  // Signing replaces the Sign button (which had focus) by the badge: keep a keyboard user's place there.
  useEffect(() => {
    if (locked && focusWasDropped()) badge.current?.focus();
  }, [locked]);

  if (locked) {
    return (
      <div className="sign">
        <p className="signed" data-testid="signed-badge" tabIndex={-1} ref={badge}>
          Signed by <strong>{c.signedBy}</strong> on {c.signedAt ? new Date(c.signedAt).toLocaleString() : ''} — locked
        </p>
        {!unlocking ? (
          <button type="button" className="button--secondary" onClick={() => setUnlocking(true)}>
            Unlock…
          </button>
        ) : (
          <form
            className="sign__unlock"
            onSubmit={(e) => {
              e.preventDefault();
              void unlockCase(reason).then((ok) => ok && (setUnlocking(false), setReason('')));
            }}
          >
            <label>
              Reason for unlocking (kept in the audit trail)
              <input value={reason} onChange={(e) => setReason(e.target.value)} required autoFocus />
            </label>
            <button type="submit" disabled={!reason.trim()}>
              Unlock case
            </button>
            <button type="button" className="button--secondary" onClick={() => setUnlocking(false)}>
              Cancel
            </button>
          </form>
        )}
      </div>
    );
  }

  const trySign = (): void => {
    useApp.setState({ signTriedFor: c.id });
    if (signCheck('-').ok) dialog.current?.showModal();
  };
  return (
    <div className="sign">
      {/* Like Print and Export: nothing to sign before the case has cells. */}
      <button type="button" onClick={trySign} aria-describedby="sign-gate" disabled={cellCount === 0} title={cellCount === 0 ? 'Add cells first' : undefined}>
        Sign case
      </button>
      <dialog ref={dialog} className="sign-dialog" aria-labelledby="sign-title">
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            void signCase(signer).then((ok) => ok && dialog.current?.close());
          }}
        >
          <h2 id="sign-title">Sign case {c.sampleId}?</h2>
          {toReview > 0 && (
            <p className="notice notice--warn" data-testid="sign-unreviewed">
              {toReview === 1 ? '1 cell has' : `${toReview} cells have`} not been reviewed: the model's class is counted for{' '}
              {toReview === 1 ? 'it' : 'them'}.{' '}
              <button type="button" className="link" onClick={() => (dialog.current?.close(), goToNextToReview(true))}>
                Review {toReview === 1 ? 'it' : 'them'} first
              </button>
            </p>
          )}
          <p>
            {cellCount} cells · {targetText(wbcTotal, c.target)}. Signing locks the case: changing it afterwards needs <em>Unlock</em> with a
            reason, kept in the audit trail.
          </p>
          <label>
            Signed by
            <input value={signer} onChange={(e) => setSigner(e.target.value)} placeholder="name" autoFocus />
          </label>
          <div className="sign-dialog__buttons">
            <button type="submit" disabled={!signer.trim()}>
              Sign and lock
            </button>
            <button type="button" className="button--secondary" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
          </div>
        </form>
      </dialog>
    </div>
  );
}

import { useEffect, useState } from 'react';
import { BUILTIN_MODELS, DEFAULT_MODEL_ID } from '../../config.ts';
import { activate } from '../../store/modelActions.ts';
import { useApp } from '../../store/index.ts';
import * as db from '../../storage/db.ts';

/** Meta key of "keep the previous default" for one default: a newer default asks again. */
const keptKey = (previousId: string) => `newDefaultNotice:${previousId}->${DEFAULT_MODEL_ID}`;

/** Why the default replaced the previous one (config), the same on every render. */
const why = BUILTIN_MODELS.find((m) => m.id === DEFAULT_MODEL_ID)?.whyDefault;

/**
 * A workstation that used a former default opens it again (the remembered model), so its cases and lab
 * heads stay as they were. It is told once that the default changed and why, and can switch or keep.
 */
export function NewDefaultNotice() {
  const model = useApp((s) => s.model);
  const id = model?.manifest.id;
  const previous = BUILTIN_MODELS.find((m) => m.id === id && m.previousDefault);
  // undefined: not read yet; the notice waits for it so a "keep" from an earlier visit never flashes
  const [kept, setKept] = useState<boolean | undefined>(undefined);
  useEffect(() => {
    if (!previous) return;
    let live = true;
    setKept(undefined);
    db.loadMeta<boolean>(keptKey(previous.id))
      .then((v) => live && setKept(v === true))
      .catch(() => live && setKept(false));
    return () => {
      live = false;
    };
  }, [previous]);
  if (!previous || kept !== false) return null;
  const keep = () => {
    setKept(true);
    void db.saveMeta(keptKey(previous.id), true).catch(() => {});
  };
  return (
    <p className="notice notice--info" role="status" data-testid="new-default-notice">
      This workstation uses {previous.id}, the previous default model. The default is now {DEFAULT_MODEL_ID}
      {why ? `: ${why}` : ''}. Cells already classified keep their model; lab heads belong to the model they were trained on.{' '}
      <button type="button" onClick={() => void activate({ kind: 'builtin', id: DEFAULT_MODEL_ID })}>
        Use {DEFAULT_MODEL_ID}
      </button>{' '}
      <button type="button" className="button--secondary" onClick={keep}>
        Keep {previous.id}
      </button>
    </p>
  );
}

import { useEffect, useRef, useState } from 'react';
import { builtinUrl, type BuiltinModel } from '../../config.ts';
import { formatBytes } from '../../storage/quota.ts';

interface Facts {
  version: string;
  variants: { precision: string; bytes: number }[];
  card: string | null;
}

async function readFacts(m: BuiltinModel): Promise<Facts> {
  const base = builtinUrl(m);
  const manifest = (await (await fetch(`${base}manifest.json`)).json()) as { version: string; encoder: { variants: { precision: string; bytes: number }[] } };
  // A model card is linked only when there is one (a static host answers 404; an SPA fallback answers HTML).
  const cardUrl = `${base}MODEL_CARD.md`;
  const head = await fetch(cardUrl, { method: 'HEAD' }).catch(() => null);
  const card = head?.ok && !(head.headers.get('content-type') ?? '').includes('text/html') ? cardUrl : null;
  return { version: manifest.version, variants: manifest.encoder.variants.map((v) => ({ precision: v.precision, bytes: v.bytes })), card };
}

/**
 * Version, size and precision of a built-in model and a link to its model card. Read from the
 * model's own manifest the first time the Models panel is opened (nothing is fetched before).
 */
export function BuiltinModelFacts({ model }: { model: BuiltinModel }) {
  const ref = useRef<HTMLSpanElement>(null);
  const [facts, setFacts] = useState<Facts | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const details = ref.current?.closest('details');
    let started = false;
    const load = (): void => {
      if (started || (details && !details.open)) return;
      started = true;
      readFacts(model).then(setFacts, () => setFailed(true));
    };
    load();
    details?.addEventListener('toggle', load);
    return () => details?.removeEventListener('toggle', load);
  }, [model]);
  return (
    <span ref={ref} className="model-facts small" data-testid={`builtin-facts-${model.id}`}>
      {facts && (
        <>
          {' '}v{facts.version} · {facts.variants.map((v) => `${v.precision} ${formatBytes(v.bytes)}`).join(', ')}
          {facts.card && (
            <>
              {' '}·{' '}
              <a href={facts.card} target="_blank" rel="noreferrer">
                model card
              </a>
            </>
          )}
        </>
      )}
      {failed && ' (version and size could not be read)'}
    </span>
  );
}

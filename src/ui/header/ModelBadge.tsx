import type { LoadedModel } from '../../inference/types.ts';

const BACKEND_WORDS: Record<string, string> = { wasm: 'the CPU', webgpu: 'the graphics card (WebGPU)' };

/**
 * The active model in plain words ("PBC compact CNN … v1.0.0 · 8 cell classes · ready"); how it runs
 * (backend, threads, precision and why) is shown on hover or keyboard focus, and is in the title.
 */
export function ModelBadge({ model }: { model: LoadedModel }) {
  const { manifest, choice, precision } = model;
  const tech = `Runs on ${BACKEND_WORDS[choice.backend] ?? choice.backend}: ${choice.backend.toUpperCase()}${choice.backend === 'wasm' ? ` · ${choice.threads} thread${choice.threads === 1 ? '' : 's'}` : ''} · ${precision} (${choice.reason})`;
  return (
    <span className="model-badge" data-testid="model-badge" role="group" aria-label="Active model" tabIndex={0} title={tech}>
      Model: <strong>{manifest.name}</strong> v{manifest.version}
      {model.head && model.head.id !== 'bundle' ? (
        <>
          {' '}· head: <strong data-testid="badge-head">{model.head.name}</strong> v{model.head.version}
        </>
      ) : null}{' '}
      · {model.head ? `${model.classes.length} cell classes · ready` : 'no head yet'}
      <span className="model-badge__tech">
        {' '}
        — runs on this computer: <span data-testid="backend">{choice.backend.toUpperCase()}</span>
        {choice.backend === 'wasm' && (
          <>
            {' '}· <span data-testid="threads">{choice.threads}</span> thread{choice.threads === 1 ? '' : 's'}
          </>
        )}{' '}
        · {precision} ({choice.reason})
      </span>
    </span>
  );
}

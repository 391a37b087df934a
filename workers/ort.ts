/**
 * Lazy loading of onnxruntime-web for the inference and calibration workers, in one of two builds:
 * the plain CPU build (`onnxruntime-web/wasm`, ~12 MB .wasm) for the WASM backend, and the JSEP build
 * (`onnxruntime-web`: WASM + WebGPU + WebNN, ~25 MB) only when a session runs on WebGPU. Both are
 * emitted by Vite and precached by the service worker. Inference speed is the same within noise
 * (the bench measured 0.99× on DinoBloom-S int8 and 1.06× on the default CNN); what the plain build
 * saves is start-up: worker start → first run 0.79–0.92 s instead of 1.46–1.72 s with nothing
 * cached, which every first visit pays, and a smaller module to compile on every visit.
 */
import type * as OrtModule from 'onnxruntime-web';
import jsepWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import plainWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import type { BackendName } from '../src/core/backend.ts';
import type { TuningOverride } from '../src/inference/calibration.ts';

export type Ort = typeof OrtModule;
export type OrtBuild = 'wasm' | 'jsep';

const WASM_URL: Record<OrtBuild, string> = { wasm: plainWasmUrl, jsep: jsepWasmUrl };

const ortModules = new Map<OrtBuild, Promise<Ort>>();
const ortThreads = new Map<OrtBuild, number>();

/**
 * Loads one ORT-web build (once per worker). Its WASM thread count is fixed by the first call: the
 * runtime starts its thread pool when the first session is created. The .wasm files are emitted by
 * Vite and served by the app itself — never a CDN.
 */
export function loadOrt(build: OrtBuild, threads: number): Promise<Ort> {
  let p = ortModules.get(build);
  if (!p) {
    const n = self.crossOriginIsolated ? threads : 1;
    const url = WASM_URL[build];
    // Two separate imports (not one import with a variable) so that Vite bundles each build.
    const mod = build === 'jsep' ? import('onnxruntime-web') : import('onnxruntime-web/wasm');
    // Marks (read by the start-up benchmark): when the JS glue and the .wasm bytes are in.
    const marked = <T,>(name: string) => (v: T): T => (performance.mark(name), v);
    p = Promise.all([mod.then(marked('ort:import')), runtimeBytes(url, n > 1).then(marked('ort:bytes'))]).then(([m, binary]) => {
      const ort = ((m as { default?: Ort }).default ?? m) as Ort;
      ort.env.wasm.wasmPaths = { wasm: url };
      if (binary) ort.env.wasm.wasmBinary = binary;
      ort.env.wasm.proxy = false;
      ort.env.wasm.numThreads = n;
      return ort;
    });
    ortModules.set(build, p);
    ortThreads.set(build, n);
  }
  return p;
}

/**
 * The runtime's .wasm bytes for `ort.env.wasm.wasmBinary`, or null to let ORT fetch and compile it by
 * itself (streaming).
 *
 * Read straight from Cache Storage when the service worker has precached it: the same 14 MB through
 * `fetch()` is served by the service worker's thread and took 0.9–2.6 s in the inference worker (2
 * loaded cores), `caches.match` 0.15–0.36 s, and compiling the bytes 0.2–0.6 s — the slow part of a
 * repeat visit's start-up was this one read.
 *
 * Multi-threaded runtimes get a custom section holding a random nonce appended (engines ignore custom
 * sections), so that this page load compiles its own copy. Chromium reuses a compiled module whose
 * bytes it has seen in the same renderer process, and for ORT's multi-threaded runtime that reuse went
 * wrong from the second reload of a tab on: DinoBloom-S int8 at 2 threads then stayed at 300–450
 * ms/cell for the rest of the page's life instead of tiering up to ~130 (a bare ORT page showed it too:
 * loads 0–3 of one tab 146, 125, 365, 341 ms/cell; a new tab each time, or these bytes, 130–170 after
 * the first runs). Single-threaded runtimes were not affected and keep the plain bytes.
 */
async function runtimeBytes(url: string, nonce: boolean): Promise<Uint8Array | null> {
  let base = await precachedBytes(url);
  if (!base && nonce) base = await fetch(url).then(async (r) => (r.ok ? new Uint8Array(await r.arrayBuffer()) : null)).catch(() => null);
  if (!base || !nonce) return base;
  const name = new TextEncoder().encode('dinobloom-load');
  const payload = new TextEncoder().encode(`${Date.now()}-${Math.random()}`);
  const body = [name.length, ...name, ...payload]; // < 128 bytes: one-byte LEB128 lengths
  const out = new Uint8Array(base.length + 2 + body.length);
  out.set(base);
  out.set([0, body.length, ...body], base.length);
  return out;
}

/** The service worker's precached copy of a same-origin file, or null (first visit, no service worker). */
async function precachedBytes(url: string): Promise<Uint8Array | null> {
  if (typeof caches === 'undefined') return null;
  try {
    // any cache of this origin; Workbox may key a precached URL with a revision query
    const hit = await caches.match(new URL(url, self.location.href).href, { ignoreSearch: true });
    return hit?.ok ? new Uint8Array(await hit.arrayBuffer()) : null;
  } catch {
    return null; // storage disabled or opaque origin: the network path below still works
  }
}

/** A 70-byte ONNX model (one Identity node) used only to start a runtime before the real model is read. */
const TINY_MODEL = Uint8Array.from(atob('CAgSADo6ChAKAXgSAXkiCElkZW50aXR5EgR3YXJtWg8KAXgSCgoICAESBAoCCAFiDwoBeRIKCggIARIECgIIAUIECgAQDQ=='), (c) => c.charCodeAt(0));
const started = new Map<OrtBuild, Promise<Ort>>();

/**
 * Loads a build and starts its WASM runtime (fetch + compile of the .wasm, thread pool) by creating
 * and releasing a one-node session, so that this overlaps with reading and checking the model file.
 */
export function startOrt(build: OrtBuild, threads: number): Promise<Ort> {
  let p = started.get(build);
  if (!p) {
    p = loadOrt(build, threads).then(async (ort) => {
      const s = await ort.InferenceSession.create(TINY_MODEL, { executionProviders: ['wasm'] });
      await s.release();
      performance.mark('ort:runtime');
      return ort;
    });
    started.set(build, p);
  }
  return p;
}

/**
 * The build for a backend: WebGPU needs JSEP; WASM uses the plain build, unless this worker already
 * runs JSEP (a WebGPU model was loaded before: its runtime runs WASM sessions too, and a second
 * runtime would only cost memory). The benchmark's override can force either for the WASM backend.
 */
export function buildFor(backend: BackendName, override?: TuningOverride): OrtBuild {
  if (backend === 'webgpu') return 'jsep';
  if (override?.ortBuild) return override.ortBuild;
  return ortModules.has('jsep') && !ortModules.has('wasm') ? 'jsep' : 'wasm';
}

export function sessionOptions(backend: BackendName): OrtModule.InferenceSession.SessionOptions {
  return { executionProviders: [backend], graphOptimizationLevel: 'all' };
}

/** Runs `n` synthetic images through a session (calibration); resolves to the run's duration in ms. */
export function syntheticRunner(ort: Ort, session: OrtModule.InferenceSession, inputName: string, size: number): (n: number) => Promise<number> {
  let buf = new Float32Array(0);
  return async (n: number) => {
    const len = n * 3 * size * size;
    if (buf.length < len) {
      buf = new Float32Array(len);
      for (let i = 0; i < len; i++) buf[i] = ((i * 7919) % 255) / 127.5 - 1;
    }
    const t0 = performance.now();
    const out = await session.run({ [inputName]: new ort.Tensor('float32', buf.subarray(0, len), [n, 3, size, size]) });
    const ms = performance.now() - t0;
    for (const t of Object.values(out)) t.dispose();
    return ms;
  };
}


export function loadedBuilds(): OrtBuild[] {
  return [...ortModules.keys()];
}

export function ortThreadsOf(build: OrtBuild): number | undefined {
  return ortThreads.get(build);
}

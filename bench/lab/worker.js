// Lever lab worker: load one ORT-web build, make a session with the given options, time session.run.
const BUILDS = { jsep: '/ort/ort.min.mjs', wasm: '/ort/ort.wasm.min.mjs' };

self.onmessage = async (e) => {
  const cfg = e.data;
  const tStart = performance.now();
  try {
    const ort = await import(BUILDS[cfg.build ?? 'jsep']);
    ort.env.wasm.wasmPaths = '/ort/';
    if (cfg.freshBinary) {
      // the app's workers/ort.ts: the .wasm bytes plus a custom section with a nonce, so that this
      // load compiles its own module instead of reusing one compiled earlier in this renderer
      const file = (cfg.build ?? 'jsep') === 'jsep' ? 'ort-wasm-simd-threaded.jsep.wasm' : 'ort-wasm-simd-threaded.wasm';
      const base = new Uint8Array(await (await fetch('/ort/' + file)).arrayBuffer());
      const enc = new TextEncoder();
      const name = enc.encode('bench-lab-load');
      const body = [name.length, ...name, ...enc.encode(String(Math.random()))];
      const bytes = new Uint8Array(base.length + 2 + body.length);
      bytes.set(base);
      bytes.set([0, body.length, ...body], base.length);
      ort.env.wasm.wasmBinary = bytes;
    }
    ort.env.wasm.numThreads = cfg.threads ?? 1;
    ort.env.wasm.proxy = false;
    const bytes = new Uint8Array(await (await fetch(cfg.modelUrl)).arrayBuffer());
    const t0 = performance.now();
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', ...(cfg.sessionOptions ?? {}) });
    const createMs = performance.now() - t0;
    const readyMs = performance.now() - tStart; // import + .wasm fetch/compile + threads + model fetch + session
    const n = cfg.batch ?? 1, s = cfg.size ?? 224;
    const x = new Float32Array(n * 3 * s * s);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.001) * 2;
    const feeds = { [cfg.inputName ?? 'pixel_values']: new ort.Tensor('float32', x, [n, 3, s, s]) };
    const times = [];
    let firstRun = 0;
    const deadline = performance.now() + (cfg.maxMs ?? 60000);
    for (let r = 0; r < (cfg.warmup ?? 1) + (cfg.runs ?? 5); r++) {
      const t = performance.now();
      const out = await session.run(feeds);
      for (const k in out) out[k].dispose?.();
      if (r === 0) firstRun = performance.now() - t;
      if (r >= (cfg.warmup ?? 1)) times.push((performance.now() - t) / n);
      if (performance.now() > deadline && times.length >= 3) break;
    }
    await session.release();
    const sorted = [...times].sort((a, b) => a - b);
    self.postMessage({ createMs, readyMs, firstRunMs: firstRun, msPerImage: sorted[Math.floor(sorted.length / 2)], minMsPerImage: sorted[0], times });
  } catch (err) {
    self.postMessage({ error: String(err?.message ?? err) });
  }
};

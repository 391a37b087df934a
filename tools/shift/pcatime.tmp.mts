import { fitPca } from '../../src/core/map/pca.ts';
import { mulberry32 } from '../../src/core/shift/random.ts';
const d = 768, n = 5400;
const r = mulberry32(1);
const A = Float32Array.from({ length: n * d }, (_, i) => (r() - 0.5) / (1 + (i % d) / 8));
for (const it of [1, 10, 100]) {
  const t0 = performance.now();
  fitPca(A, n, d, 2, { maxIterations: it });
  console.log(it, (performance.now() - t0).toFixed(0), 'ms');
}

/**
 * Exercises the WebGPU code path on Chromium's SwiftShader adapter (software: correctness only, never timed).
 * Automatic choice must avoid the software adapter; forced WebGPU (fp32 variant) must give the same
 * probabilities as native onnxruntime on the same fp32 file with the app's own preprocessing.
 */
import { expect, test } from './fixtures.ts';
import { AppPage, pbcFixtures } from './pages/AppPage.ts';
import { nativeModel, TINY_BUNDLE } from './pages/reference.ts';

test('automatic choice skips a software adapter; forced WebGPU matches native onnxruntime', async ({ page }) => {
  test.setTimeout(600_000);
  const app = new AppPage(page);
  await app.open('?builtin=test-tiny-dinov2');
  const hasGpu = await page.evaluate(async () => Boolean(await (navigator as Navigator & { gpu?: GPU }).gpu?.requestAdapter()));
  test.skip(!hasGpu, 'this Chromium exposes no WebGPU adapter even with --enable-unsafe-webgpu');
  expect(await app.backend()).toBe('WASM');
  await expect(page.getByTestId('model-badge')).toContainText('software WebGPU adapter');

  await app.setBackend('webgpu');
  expect(await app.backend()).toBe('WEBGPU');
  await expect(page.getByTestId('model-badge')).toContainText('fp32');
  const files = pbcFixtures().slice(0, 3);
  await app.addFiles(files);
  await app.waitForIdle();
  const gpu = JSON.parse(await app.exportJson()).rows as { file: string; probabilities: Record<string, number> }[];
  expect(gpu).toHaveLength(3);
  const ref = await (await nativeModel(TINY_BUNDLE, 'fp32')).predictFiles(files);
  for (const g of gpu) {
    const r = ref.get(g.file)!;
    // fp32 on both sides; different kernels (GPU shaders vs MLAS) agree to ~1e-5 on logits.
    for (const [cls, p] of Object.entries(g.probabilities)) expect(Math.abs(p - r[cls]!), `${g.file} ${cls}`).toBeLessThan(2e-3);
  }
});

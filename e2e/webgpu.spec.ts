/**
 * Exercises the WebGPU code path on Chromium's SwiftShader adapter (software: correctness only, never timed).
 * Automatic choice must avoid the software adapter; forcing WebGPU must give the same classes as WASM.
 */
import { expect, test } from './fixtures.ts';
import { AppPage, pbcFixtures } from './pages/AppPage.ts';

test('automatic choice skips a software adapter; forced WebGPU matches WASM', async ({ page }) => {
  test.setTimeout(600_000);
  const app = new AppPage(page);
  await app.open('?builtin=test-tiny-dinov2');
  const hasGpu = await page.evaluate(async () => Boolean(await (navigator as Navigator & { gpu?: GPU }).gpu?.requestAdapter()));
  test.skip(!hasGpu, 'this Chromium exposes no WebGPU adapter even with --enable-unsafe-webgpu');
  expect(await app.backend()).toBe('WASM');
  await expect(page.getByTestId('model-badge')).toContainText('software WebGPU adapter');

  const files = pbcFixtures().slice(0, 3);
  await app.addFiles(files);
  await app.waitForIdle();
  const wasm = JSON.parse(await app.exportJson()).rows as { file: string; probabilities: Record<string, number> }[];

  await app.clearSession();
  await app.setBackend('webgpu');
  expect(await app.backend()).toBe('WEBGPU');
  await app.addFiles(files);
  await app.waitForIdle();
  const gpu = JSON.parse(await app.exportJson()).rows as { file: string; probabilities: Record<string, number> }[];
  expect(gpu).toHaveLength(3);
  for (const g of gpu) {
    const w = wasm.find((c) => c.file === g.file)!;
    for (const [cls, p] of Object.entries(g.probabilities)) expect(Math.abs(p - w.probabilities[cls]!), cls).toBeLessThan(1e-3);
  }
});

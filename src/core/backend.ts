/**
 * Which execution backend and how many WASM threads to use — a pure decision from facts the worker
 * gathers (WebGPU adapter, isolation, cores) so it can be unit-tested without a browser.
 */

export type BackendName = 'wasm' | 'webgpu';
export type BackendPreference = 'auto' | BackendName;

export interface GpuFacts {
  /** `adapter.info.isFallbackAdapter` (or the older `adapter.isFallbackAdapter`). */
  isFallback: boolean;
  vendor: string;
  architecture: string;
  description: string;
  shaderF16: boolean;
}

export interface EnvironmentFacts {
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  /** null when `navigator.gpu` is missing or `requestAdapter()` returned null. */
  gpu: GpuFacts | null;
}

export interface BackendSettings {
  backend: BackendPreference;
  /** null = automatic. */
  threads: number | null;
}

export const DEFAULT_BACKEND_SETTINGS: BackendSettings = { backend: 'auto', threads: null };
export const MAX_WASM_THREADS = 4;

export interface BackendChoice {
  backend: BackendName;
  threads: number;
  /** Human-readable why, shown in the UI next to the backend badge. */
  reason: string;
}

/** SwiftShader and other CPU rasterisers expose WebGPU but are far slower than WASM. */
export function isSoftwareAdapter(gpu: GpuFacts): boolean {
  if (gpu.isFallback) return true;
  const text = `${gpu.vendor} ${gpu.architecture} ${gpu.description}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|software|microsoft basic render/.test(text);
}

export function autoThreads(env: Pick<EnvironmentFacts, 'crossOriginIsolated' | 'hardwareConcurrency'>): number {
  if (!env.crossOriginIsolated) return 1;
  return Math.max(1, Math.min(env.hardwareConcurrency || 1, MAX_WASM_THREADS));
}

export function chooseBackend(
  env: EnvironmentFacts,
  available: { webgpu: boolean; wasm: boolean },
  settings: BackendSettings = DEFAULT_BACKEND_SETTINGS,
): BackendChoice {
  const threadsFor = (): number => {
    if (settings.threads !== null && settings.threads >= 1) {
      return env.crossOriginIsolated ? Math.min(Math.floor(settings.threads), 16) : 1;
    }
    return autoThreads(env);
  };
  const wasm = (reason: string): BackendChoice => ({ backend: 'wasm', threads: threadsFor(), reason });

  if (settings.backend === 'webgpu') {
    if (!env.gpu) return wasm('WebGPU requested but no adapter is available; using WASM');
    if (!available.webgpu) return wasm('WebGPU requested but this model has no WebGPU variant; using WASM');
    return { backend: 'webgpu', threads: 1, reason: `WebGPU requested (${describeGpu(env.gpu)})` };
  }
  if (settings.backend === 'wasm') return wasm('WASM chosen in settings');
  if (!available.wasm && available.webgpu && env.gpu) return { backend: 'webgpu', threads: 1, reason: 'model only has a WebGPU variant' };
  if (env.gpu && available.webgpu && !isSoftwareAdapter(env.gpu))
    return { backend: 'webgpu', threads: 1, reason: `hardware GPU (${describeGpu(env.gpu)})` };
  if (env.gpu && isSoftwareAdapter(env.gpu)) return wasm(`only a software WebGPU adapter (${describeGpu(env.gpu)}); WASM is faster`);
  if (!env.crossOriginIsolated) return wasm('page is not cross-origin isolated: WASM runs single-threaded');
  return wasm(env.gpu ? 'no WebGPU variant in this model' : 'no WebGPU adapter');
}

export function describeGpu(gpu: GpuFacts): string {
  return [gpu.vendor, gpu.architecture, gpu.description].filter(Boolean).join(' ') || 'unknown adapter';
}

import type { GpuFacts } from '../src/core/backend.ts';

/** What the WebGPU adapter is (null: none): decides whether WebGPU is worth trying and which variant. */
export async function gpuFacts(): Promise<GpuFacts | null> {
  const gpu = (self.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return null;
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return null;
    const info = adapter.info ?? ({} as GPUAdapterInfo);
    const legacy = adapter as GPUAdapter & { isFallbackAdapter?: boolean };
    const infoFallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter;
    return {
      isFallback: Boolean(infoFallback ?? legacy.isFallbackAdapter ?? false),
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      description: info.description ?? '',
      shaderF16: adapter.features.has('shader-f16'),
    };
  } catch {
    return null;
  }
}

import { describe, expect, it } from 'vitest';
import { autoThreads, chooseBackend, isSoftwareAdapter, type EnvironmentFacts, type GpuFacts } from './backend.ts';

const realGpu: GpuFacts = { isFallback: false, vendor: 'nvidia', architecture: 'ampere', description: '', shaderF16: true };
const swiftshader: GpuFacts = { isFallback: false, vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)', shaderF16: false };
const env = (over: Partial<EnvironmentFacts> = {}): EnvironmentFacts => ({ crossOriginIsolated: true, hardwareConcurrency: 2, gpu: null, ...over });
const both = { wasm: true, webgpu: true };

describe('backend choice', () => {
  it('uses all cores up to 4 when cross-origin isolated, else 1 thread', () => {
    expect(autoThreads({ crossOriginIsolated: true, hardwareConcurrency: 2 })).toBe(2);
    expect(autoThreads({ crossOriginIsolated: true, hardwareConcurrency: 16 })).toBe(4);
    expect(autoThreads({ crossOriginIsolated: true, hardwareConcurrency: 0 })).toBe(1);
    expect(autoThreads({ crossOriginIsolated: false, hardwareConcurrency: 16 })).toBe(1);
  });

  it('picks WebGPU only for a hardware adapter and a model with a WebGPU variant', () => {
    expect(chooseBackend(env({ gpu: realGpu }), both).backend).toBe('webgpu');
    expect(chooseBackend(env({ gpu: realGpu }), { wasm: true, webgpu: false }).backend).toBe('wasm');
    const sw = chooseBackend(env({ gpu: swiftshader }), both);
    expect(sw).toMatchObject({ backend: 'wasm', threads: 2 });
    expect(sw.reason).toMatch(/software/);
    expect(chooseBackend(env({ gpu: { ...realGpu, isFallback: true } }), both).backend).toBe('wasm');
  });

  it('recognises software adapters by flag or name', () => {
    expect(isSoftwareAdapter(swiftshader)).toBe(true);
    expect(isSoftwareAdapter({ ...realGpu, description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter(realGpu)).toBe(false);
  });

  it('honours settings overrides, but never more than one thread without isolation', () => {
    expect(chooseBackend(env({ gpu: swiftshader }), both, { backend: 'webgpu', threads: null }).backend).toBe('webgpu');
    expect(chooseBackend(env({ gpu: realGpu }), both, { backend: 'wasm', threads: 1 })).toMatchObject({ backend: 'wasm', threads: 1 });
    expect(chooseBackend(env(), both, { backend: 'webgpu', threads: null })).toMatchObject({ backend: 'wasm' });
    expect(chooseBackend(env({ crossOriginIsolated: false }), both, { backend: 'wasm', threads: 8 }).threads).toBe(1);
    expect(chooseBackend(env({ crossOriginIsolated: false }), both).reason).toMatch(/not cross-origin isolated/);
  });
});

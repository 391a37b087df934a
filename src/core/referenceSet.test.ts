import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classCounts, loadReferenceSet, parseReferenceIndex, ReferenceSetError } from './referenceSet.ts';

const ROOT = new URL('../../public/reference-set/', import.meta.url);
const index = JSON.parse(readFileSync(new URL('index.json', ROOT), 'utf8')) as unknown;

/** fetch over the committed folder (what the app's server serves), with optional tampering */
function folderFetch(tamper: (path: string, data: Uint8Array) => Uint8Array | null = (_p, d) => d): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const url = new URL(String(input));
    const path = url.pathname.replace(/^\/set\//, '');
    let data: Uint8Array | null;
    try {
      data = new Uint8Array(readFileSync(new URL(path, ROOT)));
    } catch {
      data = null;
    }
    data = data && tamper(path, data);
    return data ? new Response(data as Uint8Array<ArrayBuffer>) : new Response('not found', { status: 404 });
  }) as typeof fetch;
}

describe('reference set (public/reference-set)', () => {
  it('index.json: 8 PBC classes, 20–30 crops each, credited, CC BY 4.0', () => {
    const idx = parseReferenceIndex(index);
    expect(idx.classes).toEqual(['basophil', 'eosinophil', 'erythroblast', 'ig', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet']);
    for (const n of Object.values(classCounts(idx))) expect(n >= 20 && n <= 30).toBe(true);
    expect(idx.licence).toBe('CC BY 4.0');
    expect(idx.credit).toMatch(/Acevedo.*Data in Brief 30 \(2020\) 105474/);
    expect(readFileSync(new URL('CREDITS.md', ROOT), 'utf8')).toContain('Acevedo');
  });

  it('loads every crop as a labelled Blob, checked against its sha256', async () => {
    const seen: number[] = [];
    const { index: idx, items } = await loadReferenceSet('https://app.example/set/', { fetch: folderFetch(), onProgress: (d) => seen.push(d) });
    expect(items).toHaveLength(idx.files.length);
    expect(items[0]).toMatchObject({ file: idx.files[0]!.file, label: idx.files[0]!.class });
    expect(items.every((it) => it.blob.size > 1000 && idx.classes.includes(it.label))).toBe(true);
    const jpeg = new Uint8Array(await items[5]!.blob.arrayBuffer());
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    expect(seen.at(-1)).toBe(idx.files.length);
  });

  it('an altered or missing file is an error naming it', async () => {
    const victim = (index as { files: { file: string }[] }).files[3]!.file;
    const altered = folderFetch((p, d) => (p === victim ? Uint8Array.from(d, (b, i) => (i === 100 ? b ^ 1 : b)) : d));
    await expect(loadReferenceSet('https://app.example/set/', { fetch: altered })).rejects.toThrow(`Reference set file ${victim} does not match its sha256`);
    const missing = folderFetch((p, d) => (p === victim ? null : d));
    await expect(loadReferenceSet('https://app.example/set/', { fetch: missing })).rejects.toThrow(`The reference set's ${victim} is missing (HTTP 404)`);
    const offline = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    await expect(loadReferenceSet('https://app.example/set/', { fetch: offline })).rejects.toThrow(/needs a connection the first time/);
  });

  it('can be cancelled', async () => {
    const ac = new AbortController();
    const slow = folderFetch();
    const p = loadReferenceSet('https://app.example/set/', {
      fetch: (async (u: RequestInfo | URL, init?: RequestInit) => {
        if (String(u).endsWith('.jpg')) ac.abort();
        if (init?.signal?.aborted) throw new DOMException('aborted', 'AbortError');
        return slow(u, init);
      }) as typeof fetch,
      signal: ac.signal,
    });
    await expect(p).rejects.toThrow(/aborted/);
  });

  it('parseReferenceIndex names what is wrong', () => {
    const bad = JSON.parse(JSON.stringify(index)) as { files: Record<string, unknown>[]; classes: string[] };
    bad.files[0]!.file = '../secret.jpg';
    bad.files[1]!.class = 'blast';
    bad.files[2]!.sha256 = 'x';
    expect(() => parseReferenceIndex(bad)).toThrow(ReferenceSetError);
    expect(() => parseReferenceIndex(bad)).toThrow(/files\[0\]\.file is not a plain relative path; files\[1\]\.class "blast" is not one of classes; files\[2\]\.sha256/);
    expect(() => parseReferenceIndex([])).toThrow(/not an object/);
  });
});

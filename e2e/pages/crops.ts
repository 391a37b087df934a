/**
 * Distinct cell crops made at test time from the 16 committed PBC fixtures (Acevedo et al. 2020,
 * CC BY 4.0): the app refuses a file identical to one already in the case (sha256 of its bytes), so a
 * test that needs many cells cannot repeat the same bytes. Each crop is one fixture turned and/or
 * mirrored (8 ways), cut by a few pixels at the border and re-encoded — different pixels, the same cell.
 * The file name keeps the dataset label: `<class>__<prefix>-<n>.jpg` (see labelOf).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import sharp from 'sharp';
import { labelOf, pbcFixtures } from './AppPage.ts';

export interface CropFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

interface Source {
  label: string;
  raw: Buffer;
  width: number;
  height: number;
}

const CONCURRENCY = 8;

let sources: Promise<Source[]> | null = null;
function decodedSources(): Promise<Source[]> {
  sources ??= Promise.all(
    pbcFixtures().map(async (f) => {
      const { data, info } = await sharp(f).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      return { label: labelOf(path.basename(f)), raw: data, width: info.width, height: info.height };
    }),
  );
  return sources;
}

/** `n` crops, all with different bytes (checked). `size`: resize to size×size; default keeps the crop's size. */
export async function distinctCrops(n: number, opts: { size?: number; quality?: number; prefix?: string } = {}): Promise<CropFile[]> {
  const src = await decodedSources();
  const prefix = opts.prefix ?? 'crop';
  // Crops are encoded CONCURRENCY at a time: sharp works on libuv's thread pool, so the encodes use
  // every core instead of one (5,000 crops one after another took ~22 s on 2 cores).
  const make = async (i: number): Promise<CropFile> => {
    const s = src[i % src.length]!;
    const k = Math.floor(i / src.length);
    const turn = (k % 4) * 90;
    const mirror = Math.floor(k / 4) % 2 === 1;
    const inset = (Math.floor(k / 8) % 10) * 6;
    const quality = Math.min(95, (opts.quality ?? 82) + Math.floor(k / 80));
    let img = sharp(s.raw, { raw: { width: s.width, height: s.height, channels: 3 } })
      .extract({ left: inset, top: inset, width: s.width - 2 * inset, height: s.height - 2 * inset })
      .rotate(turn);
    if (mirror) img = img.flop();
    if (opts.size) {
      // sharp runs rotate before extract when the same pipeline also resizes, which makes a turned
      // crop's extract area invalid: finish the cut-and-turn first, then resize in a second pipeline.
      const turned = await img.raw().toBuffer({ resolveWithObject: true });
      img = sharp(turned.data, { raw: { width: turned.info.width, height: turned.info.height, channels: 3 } })
        .resize(opts.size, opts.size);
    }
    const buffer = await img.jpeg({ quality }).toBuffer();
    return { name: `${s.label}__${prefix}-${String(i).padStart(5, '0')}.jpg`, mimeType: 'image/jpeg', buffer };
  };
  const out: CropFile[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await make(i);
      }
    }),
  );
  const seen = new Set<string>();
  out.forEach((c, i) => {
    const hash = crypto.createHash('sha256').update(c.buffer).digest('hex');
    if (seen.has(hash)) throw new Error(`distinctCrops: crop ${i} repeats an earlier one`);
    seen.add(hash);
  });
  return out;
}

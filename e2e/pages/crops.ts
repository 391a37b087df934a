/**
 * Distinct cell crops made at test time from the 16 committed PBC fixtures (Acevedo et al. 2020,
 * CC BY 4.0): the app refuses a file identical to one already in the case (sha256 of its bytes), so a
 * test that needs many cells cannot repeat the same bytes. Each crop is one fixture turned and/or
 * mirrored (8 ways), cut by a few pixels at the border and re-encoded — different pixels, the same cell.
 * With a `size`, each fixture is shrunk once to a little more than that size, and each crop is a
 * size × size window of the small copy (shifted by 0–9 px), turned and mirrored here, so sharp only
 * encodes it: 5,000 crops of 64 px take ~3 s instead of ~15 s of sharp pipelines on full crops.
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

/** the border cut in 10 steps: of 6 px on a full crop; on a shrunk one, the window's shift in px */
const INSET_STEPS = 10;

const shrunk = new Map<number, Promise<Source[]>>();
/** The fixtures shrunk to (size + INSET_STEPS − 1) px square, once per size. */
function shrunkSources(size: number): Promise<Source[]> {
  let p = shrunk.get(size);
  if (!p) {
    const side = size + INSET_STEPS - 1;
    p = decodedSources().then((src) =>
      Promise.all(src.map(async (s) => {
        const raw = await sharp(s.raw, { raw: { width: s.width, height: s.height, channels: 3 } }).resize(side, side).raw().toBuffer();
        return { label: s.label, raw, width: side, height: side };
      })),
    );
    shrunk.set(size, p);
  }
  return p;
}

/**
 * The size × size window at (shift, shift) of a square RGB source, turned clockwise by `turn`
 * degrees and then mirrored left–right if asked: output pixel (x, y) reads the window's pixel that
 * the inverse of that turn and mirror maps it to.
 */
function windowTurned(s: Source, size: number, shift: number, turn: number, mirror: boolean): Buffer {
  const out = Buffer.alloc(size * size * 3);
  const m = size - 1;
  for (let y = 0; y < size; y++) {
    for (let x0 = 0; x0 < size; x0++) {
      const x = mirror ? m - x0 : x0;
      const [u, v] = turn === 90 ? [y, m - x] : turn === 180 ? [m - x, m - y] : turn === 270 ? [m - y, x] : [x, y];
      const from = ((v + shift) * s.width + (u + shift)) * 3;
      const to = (y * size + x0) * 3;
      out[to] = s.raw[from]!;
      out[to + 1] = s.raw[from + 1]!;
      out[to + 2] = s.raw[from + 2]!;
    }
  }
  return out;
}

/** `n` crops, all with different bytes (checked). `size`: resize to size×size; default keeps the crop's size. */
export async function distinctCrops(n: number, opts: { size?: number; quality?: number; prefix?: string } = {}): Promise<CropFile[]> {
  const size = opts.size;
  const src = size ? await shrunkSources(size) : await decodedSources();
  const prefix = opts.prefix ?? 'crop';
  // Crops are encoded CONCURRENCY at a time: sharp works on libuv's thread pool, so the encodes use
  // every core instead of one (5,000 crops one after another took ~22 s on 2 cores).
  const make = async (i: number): Promise<CropFile> => {
    const s = src[i % src.length]!;
    const k = Math.floor(i / src.length);
    const turn = (k % 4) * 90;
    const mirror = Math.floor(k / 4) % 2 === 1;
    const step = Math.floor(k / 8) % INSET_STEPS;
    const quality = Math.min(95, (opts.quality ?? 82) + Math.floor(k / 80));
    let img: ReturnType<typeof sharp>;
    if (size) {
      img = sharp(windowTurned(s, size, step, turn, mirror), { raw: { width: size, height: size, channels: 3 } });
    } else {
      const inset = step * 6;
      img = sharp(s.raw, { raw: { width: s.width, height: s.height, channels: 3 } })
        .extract({ left: inset, top: inset, width: s.width - 2 * inset, height: s.height - 2 * inset })
        .rotate(turn);
      if (mirror) img = img.flop();
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

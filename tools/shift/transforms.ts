/**
 * The synthetic shifts of PBC crops used to develop and check the shift detection (issue 13), defined
 * once here and used by the measurement (tools/shift/embed-sets.ts) and by the e2e fixture maker
 * (tools/shift/make-shifted-fixtures.ts). Each shift maps the bytes of one image file to the bytes of
 * a new JPEG; where a shift has random parameters they come from a generator seeded by the file name,
 * so every file's shifted version is the same on every run and independent of the other files.
 *
 * Output is JPEG quality 95 (what another lab's camera or LIMS would typically write; LISC is q95),
 * except `jpeg-30`, whose whole point is quality 30.
 */
import sharp from 'sharp';

type Sharp = ReturnType<typeof sharp>;
import { hashSeed, mulberry32 } from '../../src/core/shift/random.ts';

export const SHIFTS = {
  'scale-0.5': 'cell rescaled ×0.5 (crop shrunk to half size, padded with its own border colour)',
  'scale-2': 'cell rescaled ×2 (crop enlarged ×2, centre cut to the original size)',
  'down-64': 'downsampled to 64×64 px and back to the original size (bilinear)',
  'stain-hue': 'other stain: hue rotated by ±25–45°, saturation ×0.7–1.3',
  'stain-od': 'other stain: optical density of each channel ×0.6–1.6 (stronger / weaker dyes)',
  blur: 'Gaussian blur, σ = 2.5 px at the original resolution',
  'jpeg-30': 'JPEG quality 30',
} as const;

export type ShiftName = keyof typeof SHIFTS;
export const SHIFT_NAMES = Object.keys(SHIFTS) as ShiftName[];
export const SHIFT_SEED = 13;

const JPEG_QUALITY = 95;

interface Raw {
  data: Buffer;
  width: number;
  height: number;
}

async function raw(input: Buffer | Sharp): Promise<Raw> {
  const s = Buffer.isBuffer(input) ? sharp(input).rotate() : input;
  const { data, info } = await s.toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

const fromRaw = (r: Raw) => sharp(r.data, { raw: { width: r.width, height: r.height, channels: 3 } });
const jpeg = (s: Sharp, quality = JPEG_QUALITY) => s.jpeg({ quality, chromaSubsampling: '4:2:0' }).toBuffer();

/** Median of each channel over the one-pixel border: the slide background around the cell. */
function borderColour(r: Raw): { r: number; g: number; b: number } {
  const ch: number[][] = [[], [], []];
  const push = (x: number, y: number) => {
    const o = (y * r.width + x) * 3;
    for (let c = 0; c < 3; c++) ch[c]!.push(r.data[o + c]!);
  };
  for (let x = 0; x < r.width; x++) {
    push(x, 0);
    push(x, r.height - 1);
  }
  for (let y = 1; y < r.height - 1; y++) {
    push(0, y);
    push(r.width - 1, y);
  }
  const med = (a: number[]) => a.sort((p, q) => p - q)[a.length >> 1]!;
  return { r: med(ch[0]!), g: med(ch[1]!), b: med(ch[2]!) };
}

/** Apply one shift to an image file's bytes; returns the bytes of the shifted JPEG. */
export async function applyShift(shift: ShiftName, input: Buffer, fileKey: string): Promise<Buffer> {
  const rand = mulberry32(hashSeed(`${shift}/${fileKey}`, SHIFT_SEED));
  const src = await raw(input);
  const { width: w, height: h } = src;
  switch (shift) {
    case 'scale-0.5': {
      const sw = Math.max(1, Math.round(w / 2));
      const sh = Math.max(1, Math.round(h / 2));
      const small = await raw(fromRaw(src).resize(sw, sh, { fit: 'fill', kernel: 'linear' }));
      const left = Math.floor((w - sw) / 2);
      const top = Math.floor((h - sh) / 2);
      const padded = fromRaw(small).extend({ left, right: w - sw - left, top, bottom: h - sh - top, background: borderColour(src) });
      return jpeg(sharp(await padded.png().toBuffer()));
    }
    case 'scale-2': {
      const big = await raw(fromRaw(src).resize(2 * w, 2 * h, { fit: 'fill', kernel: 'linear' }));
      const cut = fromRaw(big).extract({ left: Math.floor(w / 2), top: Math.floor(h / 2), width: w, height: h });
      return jpeg(sharp(await cut.png().toBuffer()));
    }
    case 'down-64': {
      const small = await raw(fromRaw(src).resize(64, 64, { fit: 'fill', kernel: 'linear' }));
      return jpeg(fromRaw(small).resize(w, h, { fit: 'fill', kernel: 'linear' }));
    }
    case 'stain-hue': {
      const hue = Math.round((rand() < 0.5 ? -1 : 1) * (25 + 20 * rand()));
      const saturation = 0.7 + 0.6 * rand();
      return jpeg(fromRaw(src).modulate({ hue, saturation }));
    }
    case 'stain-od': {
      // Beer–Lambert: optical density OD = -log10(I / 255) adds up over dyes; scaling each channel's
      // OD is a stronger or weaker stain (a crude stand-in for another lab's dye batch or protocol).
      const lut = [0, 1, 2].map(() => {
        const k = 0.6 + rand();
        return Uint8Array.from({ length: 256 }, (_, v) => Math.round(255 * (Math.max(1, v) / 255) ** k)); // 10^(-k·OD)
      });
      const out = Buffer.alloc(src.data.length);
      for (let i = 0; i < src.data.length; i++) out[i] = lut[i % 3]![src.data[i]!]!;
      return jpeg(fromRaw({ data: out, width: w, height: h }));
    }
    case 'blur':
      return jpeg(fromRaw(src).blur(2.5));
    case 'jpeg-30':
      return jpeg(fromRaw(src), 30);
  }
}

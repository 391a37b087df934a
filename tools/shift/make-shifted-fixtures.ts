/**
 * npm run shift-fixtures  (tsx tools/shift/make-shifted-fixtures.ts)
 *
 * Makes e2e/fixtures/shifted/<shift>/<class>__<name>.jpg from the committed, credited PBC fixture
 * crops (e2e/fixtures/pbc; never from LISC) with the synthetic shifts of tools/shift/transforms.ts
 * — one folder per shift, so a drop of the folder is a case with two source folders. Output is
 * deterministic (seeded per file name); tools/shift/fixtures.test.ts checks with the Node pipeline
 * that the default model flags them and not the PBC originals.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyShift, SHIFTS, type ShiftName } from './transforms.ts';

export const FIXTURE_SHIFTS: ShiftName[] = ['scale-2', 'stain-hue'];
const SRC = 'e2e/fixtures/pbc';
const OUT = 'e2e/fixtures/shifted';

async function main(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  const files = readdirSync(SRC).filter((f) => f.endsWith('.jpg')).sort();
  let bytes = 0;
  for (const shift of FIXTURE_SHIFTS) {
    mkdirSync(join(OUT, shift), { recursive: true });
    for (const f of files) {
      const out = await applyShift(shift, readFileSync(join(SRC, f)), `fixtures/${f}`);
      writeFileSync(join(OUT, shift, f), out);
      bytes += out.length;
    }
  }
  writeFileSync(
    join(OUT, 'CREDITS.md'),
    `# Credit for the cell images in this folder

Made by \`tools/shift/make-shifted-fixtures.ts\` from the ${files.length} PBC crops in ../pbc (see ../pbc/CREDITS.md),
each changed by one synthetic shift (tools/shift/transforms.ts), one folder per shift:

${FIXTURE_SHIFTS.map((s) => `- \`${s}/\`: ${SHIFTS[s]}`).join('\n')}

Source images: A. Acevedo, A. Merino, S. Alférez, Á. Molina, L. Boldú, J. Rodellar, "A dataset of microscopic
peripheral blood cell images for development of automatic recognition systems", Data in Brief 30 (2020)
105474, doi:10.1016/j.dib.2020.105474. Data: Mendeley Data, doi:10.17632/snkd93bnjr.1.
Licence: CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/) — these are adaptations of those images.

File names are \`<class>__<original file name>\`; the class is the dataset's label of the original crop.
They are deliberately unlike the model's training data: the shift checks must flag them (issue 13).
`,
  );
  process.stderr.write(`wrote ${FIXTURE_SHIFTS.length} × ${files.length} crops to ${OUT} (${(bytes / 1024).toFixed(0)} KiB)\n`);
}

void main();

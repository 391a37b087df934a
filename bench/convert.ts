/**
 * In-browser checkpoint conversion benchmark (issue 15): wall time, CPU time and peak memory of
 * converting random-weight DinoBloom-S / -B checkpoints through the real UI (the Models panel's
 * "DinoBloom checkpoint" input), in headless Chromium.
 *
 *   npm run bench:convert [-- --sizes S,B] [--layout zenodo-teacher|hf-flat|timm-safetensors] [--runs 1]
 *
 * Memory is read from /proc: the high-water mark of resident memory (VmHWM) of the tab's renderer
 * process — page, conversion worker, hashing worker and ORT's WASM heap together — and, apart, of the
 * browser process (which holds the built encoder Blobs and IndexedDB's writes). CPU seconds (utime +
 * stime of those processes) are printed beside wall time because the development machine is shared:
 * wall time there says more about the other jobs than about the converter. The machine's load is
 * recorded at the start and end.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch } from './lib/browser.ts';
import { serve } from './lib/server.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const CACHE = path.join(REPO, 'bench/.cache');
const DIST = path.join(CACHE, 'dist-convert');
const LABEL = 'DinoBloom checkpoint (.pth, .bin, .safetensors)';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

interface ProcMem {
  pid: number;
  type: string;
  rss: number;
  hwm: number;
  cpuS: number;
}

function descendants(root: number): number[] {
  const kids = new Map<number, number[]>();
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(d)]);
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of kids.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

function findBrowserPid(marker: string): number | undefined {
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const args = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (args.includes(marker) && !args.some((a) => a.startsWith('--type='))) return Number(d);
    } catch {
      /* gone */
    }
  }
  return undefined;
}

const TICK = 100; // USER_HZ

function procMem(pid: number): ProcMem | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const type = /--type=([a-z-]+)/.exec(cmd)?.[1] ?? 'browser';
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').slice(readFileSync(`/proc/${pid}/stat`, 'utf8').lastIndexOf(')') + 2).split(' ');
    return { pid, type, rss: kb('VmRSS'), hwm: kb('VmHWM'), cpuS: (Number(stat[11]) + Number(stat[12])) / TICK };
  } catch {
    return null;
  }
}

const gb = (n: number): string => `${(n / 1e9).toFixed(2)} GB`;
const load = (): string => os.loadavg().map((x) => x.toFixed(1)).join(' / ');

async function main(): Promise<void> {
  const sizes = arg('sizes', 'S,B').split(',') as ('S' | 'B')[];
  const layout = arg('layout', 'zenodo-teacher');
  const runs = Number(arg('runs', '1'));
  mkdirSync(CACHE, { recursive: true });
  console.log('building the app into bench/.cache/dist-convert …');
  execFileSync('npx', ['vite', 'build', '--logLevel', 'error', '--outDir', DIST], { cwd: REPO, stdio: 'inherit' });
  const site = await serve({ '/': DIST });
  const rows: Record<string, unknown>[] = [];
  try {
    for (const size of sizes) {
      const dir = path.join(CACHE, `checkpoints-${size}`);
      if (!existsSync(path.join(dir, 'info.json'))) {
        console.log(`making random-weight ${size} checkpoints in ${dir} …`);
        execFileSync('python3', [path.join(REPO, 'tools/fixtures/make_e2e_checkpoints.py'), '--out', dir, '--size', size, '--no-reference'], { stdio: 'inherit' });
      }
      const info = JSON.parse(readFileSync(path.join(dir, 'info.json'), 'utf8')) as { files: Record<string, string> };
      const file = path.join(dir, info.files[layout]!);
      for (let r = 0; r < runs; r++) {
        const marker = `--dinobloom-bench=${process.pid}-${size}-${r}`; // finds this browser's process tree in /proc
        const browser = await launch([marker]);
        try {
          const page = await browser.newPage();
          await page.goto(site.origin);
          await page.getByTestId('model-badge').waitFor({ timeout: 180_000 });
          // the app calibrates its default model in the background after the first load: let that end
          // first, so that the figures are the conversion's own
          for (let i = 0; i < 240; i++) {
            const w = page.workers().find((x) => /inference\.worker/.test(x.url()));
            const done = w ? await w.evaluate(() => Boolean((self as unknown as { __dinobloomStats?: { calibration?: unknown } }).__dinobloomStats?.calibration)).catch(() => false) : false;
            if (done) break;
            await new Promise((ok) => setTimeout(ok, 500));
          }
          await page.getByText('Models', { exact: true }).click();
          const rootPid = findBrowserPid(marker);
          const pids = (): number[] => (rootPid ? [rootPid, ...descendants(rootPid)] : []);
          const before = new Map(pids().map((p) => [p, procMem(p)] as const));
          let peakRss = 0;
          const perPid = new Map<number, { type: string; rss: number; hwm: number; cpuS: number }>();
          const sample = (): void => {
            for (const p of pids()) {
              const m = procMem(p);
              if (!m) continue;
              if (m.type === 'renderer') peakRss = Math.max(peakRss, m.rss);
              const prev = perPid.get(p);
              perPid.set(p, { type: m.type, rss: Math.max(prev?.rss ?? 0, m.rss), hwm: Math.max(prev?.hwm ?? 0, m.hwm), cpuS: m.cpuS - (before.get(p)?.cpuS ?? 0) });
            }
          };
          const timeline: { t: number; stage: string; rendererRss: number }[] = [];
          let stageNow = 'read';
          const stageTimer = setInterval(() => {
            void page
              .locator('[aria-current="step"]')
              .getAttribute('data-stage', { timeout: 200 })
              .then((st) => (stageNow = st ?? stageNow))
              .catch(() => {});
          }, 500);
          const timer = setInterval(() => {
            sample();
            const r = Math.max(0, ...[...perPid.values()].filter((m) => m.type === 'renderer').map(() => 0), ...pids().map(procMem).filter((m) => m?.type === 'renderer').map((m) => m!.rss));
            timeline.push({ t: Math.round((Date.now() - t0) / 100) / 10, stage: stageNow, rendererRss: r });
          }, 200);
          const loadStart = load();
          const t0 = Date.now();
          await page.getByLabel(LABEL).setInputFiles(file);
          const done = page.getByTestId('convert-message').or(page.getByTestId('convert-error'));
          await done.waitFor({ timeout: 1_800_000 });
          const wall = (Date.now() - t0) / 1000;
          sample();
          clearInterval(timer);
          clearInterval(stageTimer);
          const peakAt = timeline.reduce((a, b) => (b.rendererRss > a.rendererRss ? b : a), timeline[0] ?? { t: 0, stage: '-', rendererRss: 0 });
          const error = await page.getByTestId('convert-error').textContent().catch(() => null);
          // every process seen while converting (a process that ended keeps its last sample)
          const seen = [...perPid.entries()].map(([pid, m]) => ({ pid, ...m }));
          const renderers = seen.filter((m) => m.type === 'renderer');
          const browserProc = seen.find((m) => m.pid === rootPid);
          const cpu = seen.reduce((s, m) => s + m.cpuS, 0);
          const row = {
            size,
            layout,
            file: path.basename(file),
            fileBytes: readFileSync(file).length,
            ok: !error,
            error: error ?? undefined,
            wallS: wall,
            cpuS: cpu,
            rendererPeakBytes: Math.max(0, ...renderers.map((m) => Math.max(m.hwm, m.rss))),
            peakAt,
            timeline: timeline.filter((_, i) => i % 5 === 0),
            processes: seen.map((m) => ({ pid: m.pid, type: m.type, peakRssBytes: m.rss, hwmBytes: m.hwm, cpuS: Math.round(m.cpuS * 10) / 10 })),
            rendererPeakSampledBytes: peakRss,
            browserProcessPeakBytes: browserProc?.hwm ?? 0,
            stages: error ? undefined : await page.getByTestId('convert-timings').textContent(),
            detail: error ? undefined : await page.getByTestId('convert-timings').getAttribute('title'),
            load: `${loadStart} → ${load()}`,
          };
          rows.push(row);
          console.log(
            `${size} ${layout}: ${row.ok ? 'ok' : `FAILED ${error}`} · wall ${wall.toFixed(1)} s · CPU ${cpu.toFixed(1)} s · renderer peak ${gb(row.rendererPeakBytes)} · ` +
              `browser process peak ${gb(row.browserProcessPeakBytes)} (renderer peak at ${peakAt.t} s, stage ${peakAt.stage}) · load ${row.load}\n  ${row.stages}\n  ${row.detail}\n  ` +
              row.processes.filter((m) => m.cpuS > 0.5 || m.peakRssBytes > 2e8).map((m) => `${m.type} ${m.pid}: peak ${gb(m.peakRssBytes)}, CPU ${m.cpuS} s`).join('; '),
          );
        } finally {
          await browser.close();
        }
      }
    }
  } finally {
    await site.close();
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  mkdirSync(path.join(REPO, 'bench/results'), { recursive: true });
  const md = [
    `# In-browser checkpoint conversion (${new Date().toISOString()})`,
    '',
    `${os.availableParallelism()} cores (${os.cpus()[0]?.model}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
    '',
    '| size | layout | file MB | ok | wall s | CPU s | renderer peak | browser process peak | load (1/5/15 min) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.size} | ${r.layout} | ${((r.fileBytes as number) / 1e6).toFixed(0)} | ${r.ok ? 'yes' : 'no'} | ${(r.wallS as number).toFixed(1)} | ${(r.cpuS as number).toFixed(1)} | ${gb(r.rendererPeakBytes as number)} | ${gb(r.browserProcessPeakBytes as number)} | ${r.load} |`),
    '',
    ...rows.map((r) => `- ${r.size}: ${r.stages ?? r.error}; ${r.detail ?? ''}`),
    '',
  ].join('\n');
  writeFileSync(path.join(REPO, `bench/results/convert-${stamp}.md`), md);
  writeFileSync(path.join(REPO, `bench/results/convert-${stamp}.json`), `${JSON.stringify(rows, null, 2)}\n`);
  console.log(`\nwritten bench/results/convert-${stamp}.{md,json}`);
}

await main();

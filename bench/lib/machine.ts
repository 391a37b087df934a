/** Machine facts and load, printed and recorded so noisy runs are visible. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface LoadSample {
  at: string;
  label: string;
  /** 1, 5, 15-minute load averages */
  loadavg: [number, number, number];
  /** the busiest other processes at that moment (ps %CPU, lifetime average) */
  busy: string[];
}

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memGiB: number;
  node: string;
  platform: string;
  chromium: string;
  onnxruntimeNode: string;
  onnxruntimeWeb: string;
}

export function machineInfo(chromiumPath: string, repo: string): MachineInfo {
  let chromium = 'unknown';
  try {
    chromium = execFileSync(chromiumPath, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    /* reported as unknown */
  }
  const version = (pkg: string): string => {
    try {
      return (JSON.parse(readFileSync(`${repo}/node_modules/${pkg}/package.json`, 'utf8')) as { version: string }).version;
    } catch {
      return 'missing';
    }
  };
  return {
    cores: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    chromium,
    onnxruntimeNode: version('onnxruntime-node'),
    onnxruntimeWeb: version('onnxruntime-web'),
  };
}

/** This process and all its descendants (the benchmark's own browser, workers, servers). */
function ownPids(): Set<number> {
  const children = new Map<number, number[]>();
  try {
    for (const l of execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' }).trim().split('\n')) {
      const [pid, ppid] = l.trim().split(/\s+/).map(Number) as [number, number];
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    }
  } catch {
    /* none */
  }
  const out = new Set<number>([process.pid]);
  const stack = [process.pid];
  while (stack.length) for (const c of children.get(stack.pop()!) ?? []) if (!out.has(c)) (out.add(c), stack.push(c));
  // npm / tsx wrappers above this process
  out.add(process.ppid);
  return out;
}

/** Processes other than this benchmark and its browser that use CPU right now (sampled over 0.5 s by top). */
function busyProcesses(): string[] {
  const own = ownPids();
  try {
    const out = execFileSync('top', ['-b', '-c', '-n', '2', '-d', '0.5', '-w', '200'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const last = out.split(/\n(?=top - )/).pop() ?? '';
    const lines = last.split('\n');
    const header = lines.findIndex((l) => /PID\s+USER/.test(l));
    return lines
      .slice(header + 1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 12 && Number(f[8]) >= 10 && !own.has(Number(f[0])))
      .slice(0, 4)
      .map((f) => `${f.slice(11).join(' ').slice(0, 60)} ${f[8]}%`);
  } catch {
    return [];
  }
}

export function sampleLoad(label: string): LoadSample {
  const [a, b, c] = os.loadavg();
  return { at: new Date().toISOString(), label, loadavg: [round2(a!), round2(b!), round2(c!)], busy: busyProcesses() };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

export function formatLoad(s: LoadSample): string {
  return `load ${s.loadavg.join(' / ')}${s.busy.length ? `; busy: ${s.busy.join(', ')}` : ''}`;
}

/** Peak and current resident memory of this process's Chromium renderer processes (Linux /proc). */
export function rendererMemory(): { pid: number; hwmMiB: number; rssMiB: number }[] {
  const mine = [...ownPids()];
  const out: { pid: number; hwmMiB: number; rssMiB: number }[] = [];
  for (const pid of mine) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('--type=renderer')) continue;
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      out.push({ pid, hwmMiB: kb('VmHWM') / 1024, rssMiB: kb('VmRSS') / 1024 });
    } catch {
      /* exited */
    }
  }
  return out.sort((a, b) => b.rssMiB - a.rssMiB);
}

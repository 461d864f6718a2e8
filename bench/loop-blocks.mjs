// Loaded into a measured server process (NODE_OPTIONS="--import=…/bench/loop-blocks.mjs",
// BENCH_BLOCKS_OUT=FILE): records each time the event loop was held 20 ms or more (found by a
// 5 ms timer running late) and each garbage collection of 5 ms or more, with CLOCK_MONOTONIC
// times in microseconds (the clock of V8's CPU profiles, to line them up with --cpu-prof), and
// writes them as JSON to FILE.PID.json when the process exits.
import fs from 'node:fs';
import v8 from 'node:v8';
import { PerformanceObserver, constants } from 'node:perf_hooks';

const out = process.env.BENCH_BLOCKS_OUT;
// BENCH_TRACE_GC=1: V8 prints a line per collection with its reason (see BENCH_SERVER_LOG in loadgen.ts).
if (process.env.BENCH_TRACE_GC === '1') v8.setFlagsFromString('--trace-gc');
// BENCH_V8_FLAGS="--trace-incremental-marking …": other V8 flags for an experiment.
for (const flag of (process.env.BENCH_V8_FLAGS ?? '').split(/\s+/).filter(Boolean)) v8.setFlagsFromString(flag);
const blocks = [];
const gcs = [];
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
// performance.now() is milliseconds since timeOrigin; this offset turns it into the monotonic clock.
const offsetUs = nowUs() - performance.now() * 1000;
const KINDS = { [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb' };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.duration >= 5) gcs.push({ startUs: Math.round(offsetUs + e.startTime * 1000), ms: +e.duration.toFixed(1), kind: KINDS[e.detail?.kind] ?? String(e.detail?.kind) });
  }
}).observe({ entryTypes: ['gc'] });
let last = nowUs();
setInterval(() => {
  const t = nowUs();
  const lateMs = (t - last) / 1000 - 5;
  if (lateMs >= 20) blocks.push({ endUs: t, ms: +lateMs.toFixed(1) });
  last = t;
}, 5).unref();
// BENCH_HEAP_PROF=FILE: a sampling allocation profile (every 32 KiB allocated, including objects
// that were collected since), written to FILE.PID.heapprofile (Chrome DevTools opens it).
let heapSession = null;
if (process.env.BENCH_HEAP_PROF) {
  const { Session } = await import('node:inspector');
  heapSession = new Session();
  heapSession.connect();
  heapSession.post('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}
// SIGUSR2: the allocations so far go to FILE.PID.N.heapprofile and sampling starts again (one
// profile per phase of a bench: send the signal when a phase begins).
let heapPart = 0;
const rotate = () => {
  heapSession?.post('HeapProfiler.stopSampling', (err, r) => {
    if (!err) fs.writeFileSync(`${process.env.BENCH_HEAP_PROF}.${process.pid}.${heapPart++}.heapprofile`, JSON.stringify(r.profile));
    heapSession.post('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  });
};
if (heapSession) process.on('SIGUSR2', rotate);
const write = () => {
  if (out) fs.writeFileSync(`${out}.${process.pid}.json`, JSON.stringify({ blocks, gcs }));
  heapSession?.post('HeapProfiler.stopSampling', (err, r) => {
    if (!err) fs.writeFileSync(`${process.env.BENCH_HEAP_PROF}.${process.pid}.heapprofile`, JSON.stringify(r.profile));
  });
  heapSession = null;
};
process.on('exit', write);
for (const sig of ['SIGTERM', 'SIGINT']) process.prependListener(sig, write);

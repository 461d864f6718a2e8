// Loaded into a measured server process by the `connections` scenario (NODE_OPTIONS="--expose-gc
// --import=…/gc-hook.mjs"): SIGUSR2 runs full garbage collections, then writes
// process.memoryUsage() as JSON to the file named by BENCH_GC_OUT.
import fs from 'node:fs';

process.on('SIGUSR2', () => {
  for (let i = 0; i < 3; i++) globalThis.gc?.();
  if (process.env.BENCH_GC_OUT) fs.writeFileSync(process.env.BENCH_GC_OUT, JSON.stringify(process.memoryUsage()));
});

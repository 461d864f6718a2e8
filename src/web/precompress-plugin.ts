/**
 * Compressed copies of the build's hashed text files (assets/*.js, *.css, *.svg), made once at
 * build time: `name.br` (Brotli, best quality) and `name.gz` (gzip, level 9) beside each. The
 * server sends one of them to a browser that accepts it (src/web/plugin.ts, @fastify/static's
 * `preCompressed`), so a first visit downloads about a quarter of the bytes, with no compression
 * work per request. Source maps (fetched only by developer tools) and files that would not shrink
 * by a tenth are left as they are.
 */
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Plugin } from 'vite';

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** What is worth compressing: text formats of the build's assets folder. */
const COMPRESSIBLE = /^assets\/[^/]+\.(?:js|mjs|css|svg|json)$/;
/** Below this, a response fits in a packet or two either way. */
export const PRECOMPRESS_MIN_BYTES = 1024;
/** A compressed copy is kept only when it is at most this fraction of the original. */
const MAX_RATIO = 0.9;

/** The compressed copies of one file's bytes: the encodings worth keeping, by file suffix. */
export async function precompressed(data: Buffer): Promise<{ suffix: '.br' | '.gz'; bytes: Buffer }[]> {
  if (data.length < PRECOMPRESS_MIN_BYTES) return [];
  const [br, gz] = await Promise.all([
    brotli(data, {
      params: {
        [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
        [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    }),
    gzip(data, { level: zlib.constants.Z_BEST_COMPRESSION }),
  ]);
  const out: { suffix: '.br' | '.gz'; bytes: Buffer }[] = [];
  if (br.length <= data.length * MAX_RATIO) out.push({ suffix: '.br', bytes: br });
  if (gz.length <= data.length * MAX_RATIO) out.push({ suffix: '.gz', bytes: gz });
  return out;
}

/** The Vite plugin: writes the compressed copies once the bundle is on disk. */
export function precompressPlugin(): Plugin {
  return {
    name: 'parley-precompress',
    apply: 'build',
    writeBundle: {
      order: 'post',
      async handler(options, bundle) {
        const outDir = options.dir;
        if (!outDir) return;
        const files = Object.keys(bundle).filter((f) => COMPRESSIBLE.test(f));
        await Promise.all(
          files.map(async (f) => {
            const file = path.join(outDir, f);
            for (const { suffix, bytes } of await precompressed(await fs.promises.readFile(file))) {
              await fs.promises.writeFile(file + suffix, bytes);
            }
          }),
        );
      },
    },
  };
}

/** pino-roll ships no types: the part src/core/logger.ts uses. */
declare module 'pino-roll' {
  import type { DestinationStream } from 'pino';
  export default function roll(options: Record<string, unknown>): Promise<DestinationStream & { flushSync(): void; end(): void }>;
}

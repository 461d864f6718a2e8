/**
 * Seen messages of a list: a message whose lower half (or whole) has been in view counts as read.
 * Messages are observed as they are rendered (a long list renders them as they come near the
 * view) and let go when they leave the page.
 */
import { useEffect, useRef, type RefObject } from 'react';

/** Calls `onSeen` with the highest seq of a message the reader has had in view, as it grows; not before `landed`. */
export function useSeenMessages(list: RefObject<HTMLElement | null>, landed: RefObject<boolean>, onSeen: (seq: number) => void): void {
  const seenRef = useRef(0);
  const observer = useRef<{ io: IntersectionObserver; watched: Set<HTMLElement> } | null>(null);
  useEffect(() => {
    const el = list.current;
    if (!el) return;
    const io = new IntersectionObserver(
      (entries) => {
        // Not before the list has landed where the reader starts (live messages can come in
        // while the first page loads, shown at the top for a moment).
        if (!landed.current) return;
        let max = seenRef.current;
        for (const e of entries) {
          if (!e.isIntersecting) continue;
          const bottomInView = e.rootBounds ? e.boundingClientRect.bottom <= e.rootBounds.bottom + 1 : false;
          if (e.intersectionRatio < 0.5 && !bottomInView) continue;
          max = Math.max(max, Number((e.target as HTMLElement).dataset.seq ?? 0));
        }
        if (max > seenRef.current) {
          seenRef.current = max;
          onSeen(max);
        }
      },
      { root: el, threshold: [0, 0.5, 1] },
    );
    observer.current = { io, watched: new Set() };
    return () => {
      io.disconnect();
      observer.current = null;
    };
  }, [list, landed, onSeen]);
  // After each render: watch the messages that came into the page, let go of those that left it.
  useEffect(() => {
    const el = list.current;
    const seen = observer.current;
    if (!el || !seen) return;
    for (const node of seen.watched) {
      if (node.isConnected) continue;
      seen.io.unobserve(node);
      seen.watched.delete(node);
    }
    for (const node of el.querySelectorAll<HTMLElement>('[data-testid="message"][data-seq]')) {
      if (seen.watched.has(node)) continue;
      seen.watched.add(node);
      seen.io.observe(node);
    }
  });
}

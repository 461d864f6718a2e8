/** Debounced async lookups for search boxes. */
import { useEffect, useState } from 'react';

/** Runs `fetcher(query)` after the user pauses typing; stale answers are dropped. */
export function useDebouncedSearch<T>(query: string, fetcher: (q: string) => Promise<T>, delay = 200): { result: T | null; loading: boolean; error: unknown } {
  const [state, setState] = useState<{ result: T | null; loading: boolean; error: unknown }>({ result: null, loading: false, error: null });
  useEffect(() => {
    let cancelled = false;
    setState((s) => ({ ...s, loading: true }));
    const t = setTimeout(() => {
      fetcher(query).then(
        (result) => !cancelled && setState({ result, loading: false, error: null }),
        (error: unknown) => !cancelled && setState({ result: null, loading: false, error }),
      );
    }, delay);
    return () => {
      cancelled = true;
      clearTimeout(t);
    };
    // The fetcher is a new closure each render; the query is what decides a new lookup.
  }, [query, delay]);
  return state;
}

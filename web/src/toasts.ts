/** Short messages at the bottom of the screen: errors of actions, and confirmations. */
import { useSyncExternalStore } from 'react';
import { t } from './i18n/index.js';

export interface Toast {
  id: number;
  text: string;
  kind: 'error' | 'info';
}

let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();

function emit(): void {
  for (const l of listeners) l();
}

/** Shows a toast for a few seconds. */
export function toast(text: string, kind: Toast['kind'] = 'error'): void {
  const id = nextId++;
  toasts = [...toasts.filter((t) => t.text !== text), { id, text, kind }].slice(-4);
  emit();
  setTimeout(() => dismissToast(id), kind === 'error' ? 6000 : 3500);
}

export function dismissToast(id: number): void {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

/** A readable sentence for a failed action (`action` already translated: "save your profile"). */
export function errorText(err: unknown, action: string): string {
  const e = err as { code?: string; message?: string; status?: number };
  if (e?.code === 'network_error') return t('common.error.unreachable', { action });
  if (e?.code === 'rate_limited') return t('common.error.rateLimited', { action });
  if (e?.message) return t('common.error.withReason', { action, reason: e.message });
  return t('common.error.generic', { action });
}

export function useToasts(): Toast[] {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => toasts,
  );
}

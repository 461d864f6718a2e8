/** A dialog's action that answers the caller's User: stored, then the dialog closes; a refusal is shown in it. */
import { useState } from 'react';
import type { User } from '../../../src/client/index.js';
import { useStore } from '../store/hooks.js';
import { errorText } from '../toasts.js';

export function useUserAction(onClose: () => void) {
  const store = useStore();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<User>, what: string) => {
    setBusy(true);
    setError(null);
    try {
      store.setUser(await action());
      onClose();
    } catch (err) {
      setBusy(false);
      setError(errorText(err, what));
    }
  };
  return { busy, error, setError, run };
}

/** Copying a secret or a link the page shows once, with a toast that says whether it worked. */
import { toast } from './toasts.js';

/** Copies `text`; toasts `copied`, or `failed` (an error toast) when the browser refuses. */
export async function copyWithToast(text: string, copied: string, failed: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    toast(copied, 'info');
  } catch {
    toast(failed, 'error');
  }
}

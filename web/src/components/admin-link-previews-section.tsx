/** The Administration dialog's "Link previews": the site-wide switch (docs/admin.md, "Link previews"). */
import { useEffect, useState } from 'react';
import { getSiteSettings, patchSiteSettings } from '../account-api.js';
import { useStore } from '../store/hooks.js';
import { errorText } from '../toasts.js';
import { FormError } from './form-parts.js';

export function AdminLinkPreviewsSection() {
  const { api } = useStore();
  const [on, setOn] = useState<boolean | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    getSiteSettings(api).then(
      (s) => !cancelled && setOn(s.linkPreviews),
      (err: unknown) => !cancelled && setError(errorText(err, 'load the settings')),
    );
    return () => {
      cancelled = true;
    };
  }, [api]);

  const toggle = async (next: boolean): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      setOn((await patchSiteSettings(api, { linkPreviews: next })).linkPreviews);
    } catch (err) {
      setError(errorText(err, 'change the setting'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section data-testid="admin-link-previews">
      <h3>Link previews</h3>
      <p className="muted">The server fetches a preview (title, description, image) of the links in new messages; readers never contact the linked sites.</p>
      {on !== undefined && (
        <label>
          <input type="checkbox" checked={on} disabled={busy} data-testid="site-link-previews" onChange={(e) => void toggle(e.target.checked)} /> Show previews of links
        </label>
      )}
      <FormError error={error} />
    </section>
  );
}

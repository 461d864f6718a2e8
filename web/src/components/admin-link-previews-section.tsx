/** The Administration dialog's "Link previews": the site-wide switch (docs/admin.md, "Link previews"). */
import { useEffect, useState } from 'react';
import { getSiteSettings, patchSiteSettings } from '../account-api.js';
import { useStore } from '../store/hooks.js';
import { errorText } from '../toasts.js';
import { FormError } from './form-parts.js';
import { useTranslation } from 'react-i18next';

export function AdminLinkPreviewsSection() {
  const { t } = useTranslation();
  const { api } = useStore();
  const [on, setOn] = useState<boolean | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    getSiteSettings(api).then(
      (s) => !cancelled && setOn(s.linkPreviews),
      (err: unknown) => !cancelled && setError(errorText(err, t('retention.action.loadSettings'))),
    );
    return () => {
      cancelled = true;
    };
  }, [api, t]);

  const toggle = async (next: boolean): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      setOn((await patchSiteSettings(api, { linkPreviews: next })).linkPreviews);
    } catch (err) {
      setError(errorText(err, t('admin.previews.action')));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section data-testid="admin-link-previews">
      <h3>{t('admin.previews.title')}</h3>
      <p className="muted">{t('admin.previews.intro')}</p>
      {on !== undefined && (
        <label>
          <input type="checkbox" checked={on} disabled={busy} data-testid="site-link-previews" onChange={(e) => void toggle(e.target.checked)} />{' '}
          {t('admin.previews.toggle')}
        </label>
      )}
      <FormError error={error} />
    </section>
  );
}

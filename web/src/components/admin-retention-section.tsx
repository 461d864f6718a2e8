/** The Administration dialog's "Message retention": the site-wide period (groups may set their own). */
import { useEffect, useState } from 'react';
import { getSiteSettings, patchSiteSettings } from '../account-api.js';
import { useStore } from '../store/hooks.js';
import { errorText } from '../toasts.js';
import { RetentionField } from './retention-field.js';
import { FormError } from './form-parts.js';

export function AdminRetentionSection() {
  const { api } = useStore();
  const [days, setDays] = useState<number | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    getSiteSettings(api).then(
      (s) => !cancelled && setDays(s.retentionDays),
      (err: unknown) => !cancelled && setError(errorText(err, 'load the settings')),
    );
    return () => {
      cancelled = true;
    };
  }, [api]);

  return (
    <section data-testid="admin-retention">
      <h3>Message retention</h3>
      <p className="muted">Applies to direct conversations and to every group that has no period of its own.</p>
      {days !== undefined && (
        <RetentionField
          initial={days}
          emptyMeaning="kept for ever"
          testId="site-retention"
          save={async (d) => (await patchSiteSettings(api, { retentionDays: d })).retentionDays}
        />
      )}
      <FormError error={error} />
    </section>
  );
}

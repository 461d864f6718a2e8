/** The Administration dialog's "Message retention": the site-wide period (groups may set their own). */
import { useEffect, useState } from 'react';
import { getSiteSettings, patchSiteSettings } from '../account-api.js';
import { useStore } from '../store/hooks.js';
import { errorText } from '../toasts.js';
import { RetentionField } from './retention-field.js';
import { FormError } from './form-parts.js';
import { useTranslation } from 'react-i18next';

export function AdminRetentionSection() {
  const { t } = useTranslation();
  const { api } = useStore();
  const [days, setDays] = useState<number | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    getSiteSettings(api).then(
      (s) => !cancelled && setDays(s.retentionDays),
      (err: unknown) => !cancelled && setError(errorText(err, t('retention.action.loadSettings'))),
    );
    return () => {
      cancelled = true;
    };
  }, [api, t]);

  return (
    <section data-testid="admin-retention">
      <h3>{t('retention.title')}</h3>
      <p className="muted">{t('retention.siteIntro')}</p>
      {days !== undefined && (
        <RetentionField
          initial={days}
          emptyMeaning={t('retention.forever')}
          testId="site-retention"
          save={async (d) => (await patchSiteSettings(api, { retentionDays: d })).retentionDays}
        />
      )}
      <FormError error={error} />
    </section>
  );
}

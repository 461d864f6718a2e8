/** Storage: what your files hold against your quota (Your data), and the site's heaviest uploaders (Administration). */
import { useEffect, useState } from 'react';
import type { SiteStorage, StorageUsage } from '../../../src/client/index.js';
import { formatPercent, formatSize } from '../format.js';
import { useStore } from '../store/hooks.js';
import { errorText } from '../toasts.js';
import { Avatar } from './avatar.js';
import { useTranslation } from 'react-i18next';

function Meter({ used, quota, testId }: { used: number; quota: number | null; testId: string }) {
  const { t } = useTranslation();
  if (quota === null) return <p data-testid={testId}>{t('storage.noLimit', { used: formatSize(used) })}</p>;
  const share = Math.min(1, used / quota);
  return (
    <div className="storage-meter" data-testid={testId}>
      <progress max={quota} value={Math.min(used, quota)} aria-label={t('storage.used')} />
      <span>
        {t('storage.usedOf', { used: formatSize(used), quota: formatSize(quota), share: formatPercent(share) })}
      </span>
    </div>
  );
}

/** Your files' storage: shown in Your data. */
export function MyStorageSection() {
  const { t } = useTranslation();
  const { api } = useStore();
  const [usage, setUsage] = useState<StorageUsage | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.storageUsage().then(setUsage, (err: unknown) => setError(errorText(err, t('storage.action.mine'))));
  }, [api, t]);
  return (
    <div className="form" data-testid="my-storage">
      <h3>{t('storage.yourFiles')}</h3>
      {error && <p className="muted">{error}</p>}
      {usage && (
        <>
          <Meter used={usage.usedBytes} quota={usage.quotaBytes} testId="my-storage-meter" />
          <p className="muted">
            {t('storage.files', { count: usage.files })}
          </p>
        </>
      )}
    </div>
  );
}

/** The site's storage and the people using the most: shown in Administration. */
export function SiteStorageSection() {
  const { t } = useTranslation();
  const { api } = useStore();
  const [site, setSite] = useState<SiteStorage | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.siteStorage({ limit: 20 }).then(setSite, (err: unknown) => setError(errorText(err, t('storage.action.site'))));
  }, [api, t]);
  return (
    <section className="form" data-testid="admin-storage">
      <h3>{t('storage.title')}</h3>
      {error && <p className="muted">{error}</p>}
      {site && (
        <>
          <Meter used={site.storedBytes} quota={site.quotaBytes} testId="site-storage-meter" />
          <p className="muted">{t('storage.perUser', { amount: site.perUserQuotaBytes === null ? t('storage.anyAmount') : formatSize(site.perUserQuotaBytes) })}</p>
          <table className="storage-table">
            <thead>
              <tr>
                <th>{t('storage.person')}</th>
                <th>{t('storage.files')}</th>
                <th>{t('storage.stored')}</th>
              </tr>
            </thead>
            <tbody>
              {site.users.map((u) => (
                <tr key={u.user.id} data-testid="storage-user" data-username={u.user.username}>
                  <td>
                    <Avatar user={u.user} size="sm" /> {u.user.displayName} <span className="muted">@{u.user.username}</span>
                  </td>
                  <td>{u.files}</td>
                  <td>{formatSize(u.usedBytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

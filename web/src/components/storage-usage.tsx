/** Storage: what your files hold against your quota (Your data), and the site's heaviest uploaders (Administration). */
import { useEffect, useState } from 'react';
import type { SiteStorage, StorageUsage } from '../../../src/client/index.js';
import { formatSize } from '../format.js';
import { useStore } from '../store/hooks.js';
import { errorText } from '../toasts.js';
import { Avatar } from './avatar.js';

function Meter({ used, quota, testId }: { used: number; quota: number | null; testId: string }) {
  if (quota === null) return <p data-testid={testId}>{formatSize(used)} (no limit)</p>;
  const share = Math.min(1, used / quota);
  return (
    <div className="storage-meter" data-testid={testId}>
      <progress max={quota} value={Math.min(used, quota)} aria-label="storage used" />
      <span>
        {formatSize(used)} of {formatSize(quota)} ({Math.round(share * 100)} %)
      </span>
    </div>
  );
}

/** Your files' storage: shown in Your data. */
export function MyStorageSection() {
  const { api } = useStore();
  const [usage, setUsage] = useState<StorageUsage | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.storageUsage().then(setUsage, (err: unknown) => setError(errorText(err, 'load your storage')));
  }, [api]);
  return (
    <div className="form" data-testid="my-storage">
      <h3>Your files</h3>
      {error && <p className="muted">{error}</p>}
      {usage && (
        <>
          <Meter used={usage.usedBytes} quota={usage.quotaBytes} testId="my-storage-meter" />
          <p className="muted">
            {usage.files} {usage.files === 1 ? 'file' : 'files'} you uploaded, whether or not they are in a message. Deleting a message with files frees their space.
          </p>
        </>
      )}
    </div>
  );
}

/** The site's storage and the people using the most: shown in Administration. */
export function SiteStorageSection() {
  const { api } = useStore();
  const [site, setSite] = useState<SiteStorage | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.siteStorage({ limit: 20 }).then(setSite, (err: unknown) => setError(errorText(err, 'load the storage figures')));
  }, [api]);
  return (
    <section className="form" data-testid="admin-storage">
      <h3>Storage</h3>
      {error && <p className="muted">{error}</p>}
      {site && (
        <>
          <Meter used={site.storedBytes} quota={site.quotaBytes} testId="site-storage-meter" />
          <p className="muted">Each person may keep {site.perUserQuotaBytes === null ? 'any amount of files' : formatSize(site.perUserQuotaBytes)} (UPLOAD_QUOTA_PER_USER; the site: UPLOAD_QUOTA_TOTAL).</p>
          <table className="storage-table">
            <thead>
              <tr>
                <th>Person</th>
                <th>Files</th>
                <th>Stored</th>
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

/**
 * The group settings' "Slash commands": the group's own commands (trigger, usage, where they
 * call), a form that registers one and shows its signing secret once (Copy), and Delete after a
 * confirmation. The composer's suggestions follow at once.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import type { Conversation, SlashCommand } from '../../../src/client/index.js';
import { useStore } from '../store/hooks.js';
import { copyWithToast } from '../clipboard.js';
import { errorText, toast } from '../toasts.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { FormError } from './form-parts.js';
import { forgetCommands } from './use-commands.js';
import './incoming-webhooks.css';

const TRIGGER = /^[a-z0-9_-]{1,32}$/;

/** Where a command calls, without the path (which often carries the integration's own token). */
function origin(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export function SlashCommandsSection({ conversation }: { conversation: Conversation }) {
  const { api } = useStore();
  const { t } = useTranslation();
  const [commands, setCommands] = useState<SlashCommand[] | null>(null);
  const [form, setForm] = useState({ trigger: '', url: '', description: '', usage: '' });
  const [created, setCreated] = useState<{ trigger: string; secret: string } | null>(null);
  const [deleting, setDeleting] = useState<SlashCommand | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setCommands(await api.listSlashCommands(conversation.id));
    } catch (err) {
      setError(errorText(err, t('commands.action.load')));
    }
  }, [api, conversation.id, t]);
  useEffect(() => void load(), [load]);

  const change = (field: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [field]: e.target.value }));

  const create = async (e: FormEvent) => {
    e.preventDefault();
    const trigger = form.trigger.trim().replace(/^\//, '').toLowerCase();
    if (!TRIGGER.test(trigger)) return setError(t('commands.badTrigger'));
    if (!form.url.trim()) return setError(t('commands.needUrl'));
    setBusy(true);
    setError(null);
    try {
      const cmd = await api.createSlashCommand(conversation.id, { trigger, url: form.url.trim(), description: form.description.trim(), usage: form.usage.trim() });
      setCreated({ trigger: cmd.trigger, secret: cmd.signingSecret });
      setForm({ trigger: '', url: '', description: '', usage: '' });
      forgetCommands(conversation.id);
      await load();
    } catch (err) {
      setError(errorText(err, t('commands.action.add')));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (cmd: SlashCommand) => {
    setError(null);
    try {
      await api.deleteSlashCommand(conversation.id, cmd.id);
      toast(t('commands.deleted', { trigger: cmd.trigger }), 'info');
      forgetCommands(conversation.id);
      await load();
    } catch (err) {
      setError(errorText(err, t('commands.action.delete')));
    }
  };

  const copy = (text: string) => copyWithToast(text, t('webhooks.copied'), t('webhooks.copyFailed'));

  return (
    <section className="integrations" data-testid="slash-commands-section">
      <h3>{t('commands.title')}</h3>
      <p className="muted">
        <Trans i18nKey="commands.intro" components={{ 1: <code /> }} />
      </p>
      {commands?.length === 0 && <p className="muted">{t('commands.none')}</p>}
      {commands && commands.length > 0 && (
        <ul className="member-list" data-testid="slash-command-list">
          {commands.map((c) => (
            <li key={c.id} className="member" data-testid="slash-command-row" data-command-id={c.id}>
              <span className="member-text">
                <span className="member-name" data-testid="slash-command-name">
                  /{c.trigger}
                  {c.usage ? ` ${c.usage}` : ''}
                </span>
                <span className="muted">
                  {c.description ? `${c.description} · ` : ''}
                  {t('commands.calls', { host: origin(c.url) })}
                </span>
              </span>
              <button type="button" className="btn btn-small btn-danger" data-testid="slash-command-delete" onClick={() => setDeleting(c)}>
                {t('commands.delete')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="form integrations-add" onSubmit={(e) => void create(e)}>
        <label>
          {t('commands.trigger')}
          <input data-testid="slash-command-trigger" value={form.trigger} maxLength={33} placeholder={t('commands.triggerPlaceholder')} onChange={change('trigger')} />
        </label>
        <label>
          {t('commands.url')}
          <input data-testid="slash-command-url" type="url" value={form.url} maxLength={2048} placeholder={t('commands.urlPlaceholder')} onChange={change('url')} />
        </label>
        <label>
          {t('commands.description')} <span className="muted">{t('commands.descriptionHint')}</span>
          <input data-testid="slash-command-description" value={form.description} maxLength={200} placeholder={t('commands.descriptionPlaceholder')} onChange={change('description')} />
        </label>
        <label>
          {t('commands.usage')}
          <input data-testid="slash-command-usage" value={form.usage} maxLength={100} placeholder={t('commands.usagePlaceholder')} onChange={change('usage')} />
        </label>
        <FormError error={error} />
        <p>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="slash-command-create">
            {t('commands.add')}
          </button>
        </p>
      </form>
      {created && (
        <div className="webhook-created" role="status" data-testid="slash-command-created">
          <p>{t('commands.secretShown', { trigger: created.trigger })}</p>
          <div className="webhook-copy-row">
            <input readOnly value={created.secret} aria-label={t('commands.secret')} data-testid="slash-command-secret" onFocus={(e) => e.currentTarget.select()} />
            <button type="button" className="btn btn-small" onClick={() => void copy(created.secret)}>
              {t('webhooks.copy')}
            </button>
          </div>
        </div>
      )}
      {deleting && (
        <ConfirmDialog
          title={t('commands.deleteTitle')}
          text={t('commands.deleteText', { trigger: deleting.trigger })}
          confirmLabel={t('commands.delete')}
          onClose={() => setDeleting(null)}
          onConfirm={() => void remove(deleting)}
        />
      )}
    </section>
  );
}

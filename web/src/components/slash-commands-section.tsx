/**
 * The group settings' "Slash commands": the group's own commands (trigger, usage, where they
 * call), a form that registers one and shows its signing secret once (Copy), and Delete after a
 * confirmation. The composer's suggestions follow at once.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { Conversation, SlashCommand } from '../../../src/client/index.js';
import { useStore } from '../store/hooks.js';
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
      setError(errorText(err, 'load the slash commands'));
    }
  }, [api, conversation.id]);
  useEffect(() => void load(), [load]);

  const change = (field: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [field]: e.target.value }));

  const create = async (e: FormEvent) => {
    e.preventDefault();
    const trigger = form.trigger.trim().replace(/^\//, '').toLowerCase();
    if (!TRIGGER.test(trigger)) return setError('The command is 1-32 of a-z, 0-9, _ and - (like deploy).');
    if (!form.url.trim()) return setError('Give the URL the command calls.');
    setBusy(true);
    setError(null);
    try {
      const cmd = await api.createSlashCommand(conversation.id, { trigger, url: form.url.trim(), description: form.description.trim(), usage: form.usage.trim() });
      setCreated({ trigger: cmd.trigger, secret: cmd.signingSecret });
      setForm({ trigger: '', url: '', description: '', usage: '' });
      forgetCommands(conversation.id);
      await load();
    } catch (err) {
      setError(errorText(err, 'add the command'));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (cmd: SlashCommand) => {
    setError(null);
    try {
      await api.deleteSlashCommand(conversation.id, cmd.id);
      toast(`/${cmd.trigger} deleted.`, 'info');
      forgetCommands(conversation.id);
      await load();
    } catch (err) {
      setError(errorText(err, 'delete the command'));
    }
  };

  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      toast('Copied.', 'info');
    } catch {
      toast('Copy failed: select the text and copy it.', 'error');
    }
  };

  return (
    <section className="integrations" data-testid="slash-commands-section">
      <h3>Slash commands</h3>
      <p className="muted">
        A command of this group calls an outside service, as Slack's slash commands do: typing <code>/deploy staging</code> sends it the text, and its answer is shown to
        you or posted here.
      </p>
      {commands?.length === 0 && <p className="muted">No slash commands of this group.</p>}
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
                  {c.description ? `${c.description} · ` : ''}calls {origin(c.url)}
                </span>
              </span>
              <button type="button" className="btn btn-small btn-danger" data-testid="slash-command-delete" onClick={() => setDeleting(c)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="form integrations-add" onSubmit={(e) => void create(e)}>
        <label>
          Command
          <input data-testid="slash-command-trigger" value={form.trigger} maxLength={33} placeholder="deploy" onChange={change('trigger')} />
        </label>
        <label>
          URL it calls
          <input data-testid="slash-command-url" type="url" value={form.url} maxLength={2048} placeholder="https://ci.example.com/slack/deploy" onChange={change('url')} />
        </label>
        <label>
          Description <span className="muted">(shown in suggestions)</span>
          <input data-testid="slash-command-description" value={form.description} maxLength={200} placeholder="Deploy a build" onChange={change('description')} />
        </label>
        <label>
          Usage hint
          <input data-testid="slash-command-usage" value={form.usage} maxLength={100} placeholder="[environment]" onChange={change('usage')} />
        </label>
        <FormError error={error} />
        <p>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="slash-command-create">
            Add command
          </button>
        </p>
      </form>
      {created && (
        <div className="webhook-created" role="status" data-testid="slash-command-created">
          <p>
            The signing secret of /{created.trigger}: give it to the service so it can check requests come from here (Slack's signing secret). Copy it now: it is not
            shown again.
          </p>
          <div className="webhook-copy-row">
            <input readOnly value={created.secret} aria-label="Signing secret" data-testid="slash-command-secret" onFocus={(e) => e.currentTarget.select()} />
            <button type="button" className="btn btn-small" onClick={() => void copy(created.secret)}>
              Copy
            </button>
          </div>
        </div>
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete command"
          text={`Delete /${deleting.trigger}? It stops at once; the messages it posted stay.`}
          confirmLabel="Delete"
          onClose={() => setDeleting(null)}
          onConfirm={() => void remove(deleting)}
        />
      )}
    </section>
  );
}

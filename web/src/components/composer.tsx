/**
 * Writing a message: Enter sends, Shift+Enter breaks the line, and Enter while an input method
 * (Chinese, Japanese…) is composing only confirms the composition. @ opens member suggestions;
 * files come from the clip button, paste or drop. ArrowUp in an empty box edits your last message.
 * Ctrl/Cmd+B, I and E make the selection bold, italic or code (again: plain); Ctrl/Cmd+K makes
 * it a link's text, with "url" selected to type over (with nothing selected, Ctrl/Cmd+K is
 * still search, web/src/components/shell.tsx). No shortcut acts while an input method composes.
 */
import { useEffect, useId, useImperativeHandle, useLayoutEffect, useRef, useState, type KeyboardEvent, type Ref } from 'react';
import { neutralizeBidi } from '../../../src/protocol/bidi.js';
import { markdownToPlainText, PREVIEW_SOURCE_MAX } from '../../../src/protocol/markdown.js';
import type { CommandInfo, Message, User } from '../../../src/client/index.js';
import { MAX_ATTACHMENTS, MESSAGE_BODY_MAX } from '../limits.js';
import { formatSize } from '../format.js';
import { Avatar } from './avatar.js';
import { matchUsers, mentionAt, type MentionQuery } from './mention-suggest.js';
import { commandAt, commandLine, matchCommands } from './command-suggest.js';
import { formatSelection, type FormatKey } from './markdown-shortcuts.js';
import { useTranslation } from 'react-i18next';

/** Drafts of composers that keep them in this page only (a thread's): they survive switching conversations, not reloads. */
const localDrafts = new Map<string, string>();

export interface ComposerHandle {
  focus(): void;
  addFiles(files: File[]): void;
}

export interface ComposerProps {
  conversationId: string;
  placeholder: string;
  members: User[];
  meId: string;
  replyTo: Message | null;
  replyAuthor: string | null;
  editing: Message | null;
  onCancelReply: () => void;
  onCancelEdit: () => void;
  onSend: (body: string, files: File[]) => void;
  /** Slash commands offered here (absent: none; a line starting with / is a message). */
  commands?: readonly CommandInfo[];
  onCommand?: (command: string, text: string) => void;
  onSaveEdit: (m: Message, body: string) => void;
  onEditLast: () => void;
  onTyping: () => void;
  /**
   * The draft kept by the store (on the server, across reloads and devices): the text starts as it,
   * follows its changes made elsewhere, and reports each change here (`onDraftChange`). Absent:
   * the draft is kept in this page only. `onDraftLeave`: the composer goes (switching conversations).
   */
  draft?: string;
  onDraftChange?: (text: string) => void;
  onDraftLeave?: () => void;
  disabled: boolean;
  handle: Ref<ComposerHandle>;
}

export function Composer(props: ComposerProps) {
  const { t } = useTranslation();
  const { conversationId, replyTo, editing, members, meId } = props;
  const storeDraft = props.draft;
  const [text, setText] = useState(() => storeDraft ?? localDrafts.get(conversationId) ?? '');
  const [files, setFiles] = useState<{ file: File; preview: string | null }[]>([]);
  const [mention, setMention] = useState<MentionQuery | null>(null);
  const [selected, setSelected] = useState(0);
  // The suggestion list the text box points at (aria-controls, aria-activedescendant): one per composer.
  const listId = useId();
  const ref = useRef<HTMLTextAreaElement>(null);
  const composing = useRef(false);
  const compositionEndedAt = useRef(0);
  const savedDraft = useRef<string | null>(null);

  useImperativeHandle(props.handle, () => ({
    focus: () => ref.current?.focus(),
    addFiles: (more) => addFiles(more),
  }));

  // The text told to the store last: its echo in `draft` is no change from elsewhere.
  const reported = useRef(storeDraft);
  useEffect(() => {
    if (editing) return;
    if (storeDraft === undefined) localDrafts.set(conversationId, text);
    else if (text !== storeDraft && text !== reported.current) {
      reported.current = text;
      props.onDraftChange?.(text);
    }
    // Only the text (and leaving edit mode) is a change of the draft; a new `draft` is handled below.
  }, [conversationId, text, editing]);

  // The draft changed elsewhere (another tab or device, or the first fetch): the box shows it,
  // or it comes back when editing ends. (While the user types here the store keeps their text.)
  useEffect(() => {
    if (storeDraft === undefined || storeDraft === reported.current) return;
    reported.current = storeDraft;
    if (savedDraft.current !== null) savedDraft.current = storeDraft;
    else setText(storeDraft);
  }, [storeDraft]);

  const onDraftLeave = useRef(props.onDraftLeave);
  onDraftLeave.current = props.onDraftLeave;
  useEffect(() => () => onDraftLeave.current?.(), []);

  // Editing puts the message's text in the box; leaving edit mode brings the draft back.
  useEffect(() => {
    if (editing) {
      savedDraft.current = text;
      setText(editing.body);
      requestAnimationFrame(() => {
        const el = ref.current;
        if (el) {
          el.focus();
          el.setSelectionRange(el.value.length, el.value.length);
        }
      });
    } else if (savedDraft.current !== null) {
      setText(savedDraft.current);
      savedDraft.current = null;
    }
    // Only entering or leaving edit mode matters here, not each keystroke.
  }, [editing]);

  useEffect(() => {
    if (replyTo) ref.current?.focus();
  }, [replyTo]);

  const filesRef = useRef(files);
  filesRef.current = files;
  useEffect(() => () => filesRef.current.forEach((f) => f.preview && URL.revokeObjectURL(f.preview)), []);

  // Grow with the text, up to a limit (CSS max-height).
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${el.scrollHeight}px`;
  }, [text]);

  const suggestions = mention ? matchUsers(members, mention.text, meId) : [];
  const typedCommand = props.commands && !editing ? commandAt(text, text.length) : null;
  const commandOptions = typedCommand !== null && suggestions.length === 0 ? matchCommands(props.commands!, typedCommand) : [];
  const listOpen = commandOptions.length > 0 || suggestions.length > 0;

  function addFiles(more: File[]) {
    if (more.length === 0) return;
    setFiles((cur) => [...cur, ...more.map((file) => ({ file, preview: file.type.startsWith('image/') ? URL.createObjectURL(file) : null }))].slice(0, MAX_ATTACHMENTS));
    ref.current?.focus();
  }

  const removeFile = (i: number) => {
    setFiles((cur) => {
      const f = cur[i];
      if (f?.preview) URL.revokeObjectURL(f.preview);
      return cur.filter((_, j) => j !== i);
    });
  };

  const tooLong = [...text].length > MESSAGE_BODY_MAX;

  const submit = () => {
    const body = text.trim();
    if (tooLong) return;
    if (editing) {
      if (body && body !== editing.body) props.onSaveEdit(editing, body);
      else props.onCancelEdit();
      return;
    }
    if (!body && files.length === 0) return;
    const command = files.length === 0 && props.commands && props.onCommand ? commandLine(body, props.commands) : null;
    if (command) props.onCommand!(command.command, command.text);
    else props.onSend(body, files.map((f) => f.file));
    for (const f of files) if (f.preview) URL.revokeObjectURL(f.preview);
    setFiles([]);
    setText('');
    reported.current = '';
    localDrafts.delete(conversationId);
    setMention(null);
  };

  const insertMention = (u: User) => {
    const el = ref.current;
    if (!el || !mention) return;
    const caret = el.selectionStart;
    const next = `${text.slice(0, mention.start)}@${u.username} ${text.slice(caret)}`;
    const pos = mention.start + u.username.length + 2;
    setText(next);
    setMention(null);
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(pos, pos);
    });
  };

  const updateMention = (value: string, caret: number) => {
    const m = mentionAt(value, caret);
    setMention(m);
    setSelected(0);
  };

  /** Ctrl/Cmd+B, I, E, K: the selection in Markdown; false when the key is left to others. */
  const format = (key: FormatKey): boolean => {
    const el = ref.current;
    if (!el) return false;
    const value = el.value;
    const edit = formatSelection(value, el.selectionStart, el.selectionEnd, key);
    if (!edit) return false;
    const next = value.slice(0, edit.from) + edit.insert + value.slice(edit.to);
    el.focus();
    el.setSelectionRange(edit.from, edit.to);
    // insertText keeps the browser's undo history (Ctrl+Z undoes the formatting) and fires
    // onChange; where it is missing the text is set directly.
    const inserted = document.execCommand?.('insertText', false, edit.insert) ?? false;
    if (!inserted || el.value !== next) setText(next);
    requestAnimationFrame(() => el.setSelectionRange(edit.selectStart, edit.selectEnd));
    el.setSelectionRange(edit.selectStart, edit.selectEnd);
    return true;
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // An input method is composing (Chinese, Japanese, Korean…): its keys are not ours.
    if (e.nativeEvent.isComposing || composing.current || e.keyCode === 229) return;
    if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey) {
      const key = e.key.toLowerCase();
      if ((key === 'b' || key === 'i' || key === 'e' || key === 'k') && format(key)) {
        e.preventDefault();
        // Ctrl/Cmd+K made a link here: it doesn't open search as well.
        e.stopPropagation();
        e.nativeEvent.stopImmediatePropagation();
        return;
      }
    }
    if (commandOptions.length > 0) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const d = e.key === 'ArrowDown' ? 1 : -1;
        setSelected((selected + d + commandOptions.length) % commandOptions.length);
        return;
      }
      if (e.key === 'Tab' || (e.key === 'Enter' && !commandOptions.some((c) => c.name === typedCommand))) {
        e.preventDefault();
        setText(`/${(commandOptions[selected] ?? commandOptions[0]!).name} `);
        setSelected(0);
        return;
      }
    }
    if (suggestions.length > 0) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const d = e.key === 'ArrowDown' ? 1 : -1;
        setSelected((selected + d + suggestions.length) % suggestions.length);
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        insertMention(suggestions[selected] ?? suggestions[0]!);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setMention(null);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      // Safari sends the Enter that ends a composition right after compositionend.
      if (Date.now() - compositionEndedAt.current < 50) return;
      e.preventDefault();
      submit();
      return;
    }
    if (e.key === 'Escape') {
      if (editing) {
        e.preventDefault();
        props.onCancelEdit();
      } else if (replyTo) {
        e.preventDefault();
        props.onCancelReply();
      }
      return;
    }
    if (e.key === 'ArrowUp' && text === '' && files.length === 0 && !editing) {
      e.preventDefault();
      props.onEditLast();
    }
  };

  return (
    <div className="composer" data-testid="composer">
      {replyTo && !editing && (
        <div className="composer-context" data-testid="reply-preview">
          <span>
            <ReplyingTo name={props.replyAuthor ?? t('common.aMessage')} /> <span className="muted">{neutralizeBidi(markdownToPlainText(replyTo.body, { maxSource: PREVIEW_SOURCE_MAX })).slice(0, 100) || '📎'}</span>
          </span>
          <button type="button" className="icon-btn" aria-label={t('composer.cancelReply')} data-testid="reply-cancel" onClick={props.onCancelReply}>
            ×
          </button>
        </div>
      )}
      {editing && (
        <div className="composer-context" data-testid="edit-preview">
          <span>
            {t('composer.editing')} <span className="muted">{t('composer.editingHint')}</span>
          </span>
          <button type="button" className="icon-btn" aria-label={t('composer.cancelEdit')} data-testid="edit-cancel" onClick={props.onCancelEdit}>
            ×
          </button>
        </div>
      )}
      {files.length > 0 && (
        <ul className="composer-files" aria-label={t('composer.files')}>
          {files.map((f, i) => (
            <li key={i} className="composer-file" data-testid="composer-attachment">
              {f.preview ? <img src={f.preview} alt="" /> : <span aria-hidden="true">📄</span>}
              <span className="file-name">{f.file.name}</span>
              <span className="muted">{formatSize(f.file.size)}</span>
              <button type="button" className="icon-btn" aria-label={t('common.remove', { name: f.file.name })} data-testid="composer-attachment-remove" onClick={() => removeFile(i)}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {commandOptions.length > 0 && (
        <ul className="mention-suggestions" id={listId} role="listbox" aria-label={t('composer.commands')} data-testid="command-suggestions">
          {commandOptions.map((c, i) => (
            <li
              key={c.name}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === selected}
              className={i === selected ? 'selected' : ''}
              data-testid="command-option"
              data-command={c.name}
              onMouseDown={(e) => {
                e.preventDefault();
                setText(`/${c.name} `);
                setSelected(0);
                ref.current?.focus();
              }}
            >
              <span>{c.usage}</span>
              <span className="muted">{c.description}</span>
            </li>
          ))}
        </ul>
      )}
      {suggestions.length > 0 && (
        <ul className="mention-suggestions" id={listId} role="listbox" aria-label={t('composer.mention')} data-testid="mention-suggestions">
          {suggestions.map((u, i) => (
            <li
              key={u.id}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === selected}
              className={i === selected ? 'selected' : ''}
              data-testid="mention-option"
              data-username={u.username}
              onMouseDown={(e) => {
                e.preventDefault();
                insertMention(u);
              }}
            >
              <Avatar user={u} size="sm" presence />
              <span>{u.displayName}</span>
              <span className="muted">@{u.username}</span>
            </li>
          ))}
        </ul>
      )}
      <div className="composer-row">
        <label className="icon-btn attach-btn" aria-label={t('composer.attach')} title={t('composer.attach')}>
          <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
            <path d="M8 12.5 14.5 6a3.5 3.5 0 0 1 5 5L11 19.5a5.5 5.5 0 0 1-8-8L11 4" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
          </svg>
          <input
            type="file"
            multiple
            data-testid="composer-file-input"
            disabled={Boolean(editing)}
            onChange={(e) => {
              addFiles([...(e.target.files ?? [])]);
              e.target.value = '';
            }}
          />
        </label>
        <textarea
          ref={ref}
          rows={1}
          className="composer-input"
          data-testid="composer-input"
          aria-label={props.placeholder}
          placeholder={props.placeholder}
          value={text}
          disabled={props.disabled}
          aria-invalid={tooLong}
          aria-autocomplete="list"
          // A text box may not say aria-expanded (a multi-line one is no combobox): it names the open list instead.
          aria-controls={listOpen ? listId : undefined}
          aria-activedescendant={listOpen ? `${listId}-${selected}` : undefined}
          onChange={(e) => {
            setText(e.target.value);
            // Told at once, not after the render: a page closed right after a keystroke still saves it.
            if (storeDraft !== undefined && !editing && e.target.value !== reported.current) {
              reported.current = e.target.value;
              props.onDraftChange?.(e.target.value);
            }
            updateMention(e.target.value, e.target.selectionStart);
            if (e.target.value.trim() && !editing) props.onTyping();
          }}
          onSelect={(e) => updateMention(e.currentTarget.value, e.currentTarget.selectionStart)}
          onBlur={() => setMention(null)}
          onKeyDown={onKeyDown}
          onCompositionStart={() => (composing.current = true)}
          onCompositionEnd={() => {
            composing.current = false;
            compositionEndedAt.current = Date.now();
          }}
          onPaste={(e) => {
            const pasted = [...e.clipboardData.files];
            if (pasted.length && !editing) {
              e.preventDefault();
              addFiles(pasted);
            }
          }}
        />
        <button
          type="button"
          className="btn btn-primary send-btn"
          data-testid="composer-send"
          aria-label={editing ? t('composer.saveEdit') : t('composer.sendMessage')}
          disabled={props.disabled || tooLong || (!text.trim() && files.length === 0)}
          onClick={submit}
        >
          {editing ? t('composer.save') : t('composer.send')}
        </button>
      </div>
      {tooLong && (
        <p className="form-error" role="alert">
          {t('composer.tooLong', { length: [...text].length, max: MESSAGE_BODY_MAX })}
        </p>
      )}
    </div>
  );
}

/**
 * "Replying to <1>name</1>:" with the name in bold, without react-i18next's Trans (which brings
 * an HTML parser into the first load): the sentence is split around a placeholder for the name.
 */
function ReplyingTo({ name }: { name: string }) {
  const { t } = useTranslation();
  const [before, after] = t('composer.replyingTo', { name: '\u0001' }).split('<1>\u0001</1>');
  return (
    <>
      {before}
      <strong>{name}</strong>
      {after}
    </>
  );
}

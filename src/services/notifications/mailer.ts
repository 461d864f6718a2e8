import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { SmtpConfig } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';

/** One e-mail: plain text always, HTML optionally. */
export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** Sends e-mail over SMTP (SMTP_URL); `enabled` is false when no server is configured. */
export interface Mailer {
  readonly enabled: boolean;
  /** Resolves once the SMTP server accepted the message; rejects on any failure (callers retry). */
  send(mail: Mail): Promise<void>;
  close(): void;
}

/** The mailer for SMTP_URL / MAIL_FROM, or one that refuses to send when there is none. */
export function createMailer(config: SmtpConfig | null, logger: Logger): Mailer {
  if (!config) {
    return {
      enabled: false,
      send: async () => {
        throw new Error('no SMTP server is configured (SMTP_URL)');
      },
      close: () => {},
    };
  }
  // Bounded waits: a silent SMTP server must not hold a delivery (or a request) for ever.
  const options: SMTPTransport.Options = { url: config.url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };
  // nodemailer is loaded with the first mail, not at start.
  let transport: Promise<Transporter> | null = null;
  let closed = false;
  return {
    enabled: true,
    async send(mail) {
      transport ??= import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport(options));
      const t = await transport;
      if (closed) throw new Error('the mailer is closed');
      const info = (await t.sendMail({ from: config.from, ...mail })) as { messageId?: string };
      logger.debug({ messageId: info.messageId, subject: mail.subject }, 'mail sent');
    },
    close: () => {
      closed = true;
      void transport?.then((t) => t.close());
    },
  };
}

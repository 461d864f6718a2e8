import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { SmtpConfig } from '../core/config.js';
import type { Logger } from '../core/logger.js';

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
  const transport: Transporter = nodemailer.createTransport(options);
  return {
    enabled: true,
    async send(mail) {
      const info = (await transport.sendMail({ from: config.from, ...mail })) as { messageId?: string };
      logger.debug({ messageId: info.messageId, subject: mail.subject }, 'mail sent');
    },
    close: () => transport.close(),
  };
}

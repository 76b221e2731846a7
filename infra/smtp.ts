import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { Config } from './config.ts';
import { CxError, errorMessage } from './errors.ts';

/** The configured SMTP server (SMTP_*) as a nodemailer transport: what reports and alerts send email through. */
export function smtpTransport(
  smtp: NonNullable<Config['reports']['smtp']>,
): Transporter<SMTPTransport.SentMessageInfo> {
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.tls === 'implicit',
    requireTLS: smtp.tls === 'starttls',
    ignoreTLS: smtp.tls === 'none',
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password } } : {}),
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
}

/**
 * Send one message through the configured SMTP server and close the connection. A 5xx reply is a
 * permanent `delivery_refused` ("refused the {what}"); a refused connection, a timeout or a 4xx reply
 * `delivery_failed`, retriable. The server takes a message when it accepts at least one recipient: the
 * others are named in a `delivery_refused` (details `delivered`), not retried — a retry would send it
 * again to those who have it. Returns the recipients accepted and the server's answer.
 */
export async function sendThroughSmtp(
  smtp: NonNullable<Config['reports']['smtp']>,
  mail: Mail.Options,
  what: string,
): Promise<{ accepted: string[]; response: string }> {
  const where = `SMTP ${smtp.host}:${smtp.port}`;
  const transport = smtpTransport(smtp);
  let info: SMTPTransport.SentMessageInfo;
  try {
    info = await transport.sendMail({ from: smtp.from, ...mail });
  } catch (err) {
    const code = (err as { responseCode?: number }).responseCode;
    if (code !== undefined && code >= 500)
      throw new CxError('delivery_refused', `${where} refused the ${what}: ${errorMessage(err)}`);
    throw new CxError('delivery_failed', `${where}: ${errorMessage(err)}`, { retriable: true, cause: err });
  } finally {
    transport.close();
  }
  const address = (a: unknown) => (typeof a === 'string' ? a : String((a as { address?: string }).address));
  const accepted = info.accepted.map(address);
  if (info.rejected.length > 0)
    throw new CxError(
      'delivery_refused',
      `${where} refused ${info.rejected.map(address).join(', ')}; delivered to ${accepted.join(', ') || 'nobody'}`,
      { details: { delivered: accepted } },
    );
  return { accepted, response: info.response ?? '' };
}

/**
 * Delivery status notifications written by real MTAs (captured in sisimai's set-of-emails, see
 * test/fixtures/dsn/SOURCES.md), read as the bounce intake reads them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readReturnedMail } from '../bounces/dsn';

const fixture = (name: string) => readReturnedMail(readFileSync(path.join(__dirname, 'fixtures', 'dsn', name)));

describe('reading returned mail', () => {
  it.each([
    ['postfix-5.1.1.eml', 'mbox.example.org', 'failed', '5.1.1', '<6E83AE85-5AF4-4E9B-8B33-64683EF86601@example.org>'],
    ['exim-5.x.eml', 'neko.example.com', 'failed', '5.0.0', '<neko222-nyaaan-22@neko.example.com>'],
    ['exchange-5.x.eml', 'SG2APC01HT226.mail.protection.outlook.com', 'failed', '5.4.312', '<SLXP216MB03812EA2935A3C31767F16B7A96B0@SLXP216MB0381.KORP216.PROD.OUTLOOK.COM>'],
    ['gmail-5.x.eml', 'googlemail.com', 'failed', '5.1.8', '<CAByYQsEX6bB+d2sbUd8WPqcEJcxaSNmzSe4mO0fLoAF56Wdo4Q@mail.gmail.com>'],
    ['sendmail-delayed-4.x.eml', 'neko.example.jp', 'delayed', '4.5.0', undefined],
  ])('%s: reporting MTA, action, status and the returned message', async (file, reportingMta, action, status, returnedMessageId) => {
    const mail = await fixture(file);
    expect(mail).toMatchObject({ kind: 'dsn', reportingMta, recipients: [{ action, status }] });
    if (mail.kind === 'dsn' && returnedMessageId) expect(mail.returnedMessageId).toBe(returnedMessageId);
  });

  it('tells an out-of-office reply from a bounce', async () => {
    expect(await fixture('autoreply.eml')).toEqual({ kind: 'auto-reply' });
  });

  it('takes neither a message that only says it failed nor a report of another type as a DSN', async () => {
    const plain = ['From: someone@example.org', 'Subject: Delivery failed', '', 'Action: failed', 'Status: 5.1.1', ''].join('\r\n');
    expect(await readReturnedMail(Buffer.from(plain))).toEqual({ kind: 'other' });
    const feedback = ['From: fbl@example.org', 'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=feedback-report; boundary=b', '', '--b', 'Content-Type: message/feedback-report', '', 'Feedback-Type: abuse', '', '--b--', ''].join('\r\n');
    expect(await readReturnedMail(Buffer.from(feedback))).toEqual({ kind: 'other' });
  });
});

// The Resend and Amazon SES v2 Node SDKs, unchanged, against a running fakeservices server.
// FAKESERVICES_URL names the server; RUN_ID makes this run's keys and addresses its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Resend } from 'resend';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';

const base = process.env.FAKESERVICES_URL;
const run = process.env.RUN_ID ?? String(process.pid);
assert.ok(base, 'FAKESERVICES_URL must name the server');

async function admin(path, params = {}, init = {}) {
  const url = new URL(path, base);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json() };
}

async function waitEmails(params, count = 1) {
  const { status, body } = await admin('/__admin/emails/wait', { ...params, count, timeout: 10 });
  assert.equal(status, 200, JSON.stringify(body));
  return body.data;
}

function ses(account, maxAttempts = 1) {
  return new SESv2Client({
    endpoint: base,
    region: 'us-east-1',
    credentials: { accessKeyId: account, secretAccessKey: 'anything' },
    maxAttempts,
  });
}

test('resend: emails.send is stored and emails.get reads it back', async () => {
  const resend = new Resend(`re_node_${run}`, { baseUrl: base });
  const to = `node-${run}@example.com`;
  const { data, error } = await resend.emails.send({
    from: 'Acme <hello@acme.example>',
    to: [to],
    subject: 'From Node',
    html: '<b>hi</b>',
    text: 'hi',
    replyTo: 'help@acme.example',
    tags: [{ name: 'flow', value: 'signup' }],
    attachments: [{ filename: 'note.txt', content: Buffer.from('buffer bytes') }],
  });
  assert.equal(error, null);
  const [mail] = await waitEmails({ to, account: `re_node_${run}` });
  assert.equal(mail.source, 'resend');
  assert.equal(mail.provider_message_id, data.id);
  assert.deepEqual([mail.subject, mail.html, mail.text], ['From Node', '<b>hi</b>', 'hi']);
  assert.deepEqual(mail.reply_to, ['help@acme.example']);
  assert.deepEqual(mail.variables, { flow: 'signup' });
  assert.deepEqual(
    mail.attachments.map((a) => [a.filename, a.size]),
    [['note.txt', 12]],
  );
  const got = await resend.emails.get(data.id);
  assert.equal(got.error, null);
  assert.deepEqual([got.data.object, got.data.id, got.data.to], ['email', data.id, [to]]);
});

test('resend: a validation error comes back as { error } in Resend\'s envelope', async () => {
  const resend = new Resend(`re_node_${run}`, { baseUrl: base });
  const { data, error } = await resend.emails.send({
    from: 'hello@acme.example',
    to: 'x@example.com',
    html: '<b>no subject</b>',
  });
  assert.equal(data, null);
  assert.deepEqual(error, {
    statusCode: 422,
    name: 'missing_required_field',
    message: 'Missing `subject` field.',
  });
});

test('resend: batch.send stores one mail per element', async () => {
  const key = `re_node_batch_${run}`;
  const resend = new Resend(key, { baseUrl: base });
  const { data, error } = await resend.batch.send([
    { from: 'a@acme.example', to: `b1-${run}@example.com`, subject: 'One', text: '1' },
    { from: 'a@acme.example', to: `b2-${run}@example.com`, subject: 'Two', text: '2' },
  ]);
  assert.equal(error, null);
  assert.equal(data.data.length, 2);
  const stored = await waitEmails({ account: key }, 2);
  assert.deepEqual(
    stored.map((m) => m.provider_message_id),
    data.data.map((d) => d.id),
  );
});

test('sesv2: SendEmailCommand (Simple) is stored with its MessageId', async () => {
  const account = `AKIANODE${run}`;
  const to = `ses-${run}@example.com`;
  const out = await ses(account).send(
    new SendEmailCommand({
      FromEmailAddress: 'shop@acme.example',
      Destination: { ToAddresses: [to] },
      Content: {
        Simple: {
          Subject: { Data: 'SES from Node' },
          Body: { Text: { Data: 'plain' }, Html: { Data: '<p>html</p>' } },
        },
      },
      EmailTags: [{ Name: 'flow', Value: 'orders' }],
      ConfigurationSetName: 'node',
    }),
  );
  const [mail] = await waitEmails({ to, account });
  assert.equal(mail.source, 'sesv2');
  assert.equal(mail.provider_message_id, out.MessageId);
  assert.deepEqual([mail.subject, mail.text, mail.configuration_set], ['SES from Node', 'plain', 'node']);
});

test('sesv2: the mailbox simulator outcome is stored', async () => {
  const account = `AKIANODESIM${run}`;
  await ses(account).send(
    new SendEmailCommand({
      FromEmailAddress: 'shop@acme.example',
      Destination: { ToAddresses: ['complaint@simulator.amazonses.com'] },
      Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } },
    }),
  );
  const [mail] = await waitEmails({ account });
  assert.equal(mail.simulator, 'complaint');
});

test('sesv2: errors are typed exceptions (NotFoundException for a missing template)', async () => {
  await assert.rejects(
    ses(`AKIANODEERR${run}`).send(
      new SendEmailCommand({
        FromEmailAddress: 'shop@acme.example',
        Destination: { ToAddresses: ['x@example.com'] },
        Content: { Template: { TemplateName: 'missing', TemplateData: '{}' } },
      }),
    ),
    (err) => {
      assert.equal(err.name, 'NotFoundException');
      assert.equal(err.$metadata.httpStatusCode, 404);
      assert.equal(err.message, 'Template missing does not exist.');
      return true;
    },
  );
});

test('sesv2: past a rate limit the SDK retries TooManyRequestsException, then gives up', async () => {
  const account = `AKIANODERL${run}`;
  const rule = await admin('/__admin/faults', {}, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      service: 'sesv2',
      match: { account },
      action: { type: 'rate_limit', limit: 1, per_seconds: 3600 },
    }),
  });
  assert.equal(rule.status, 201);
  const send = (client) =>
    client.send(
      new SendEmailCommand({
        FromEmailAddress: 'shop@acme.example',
        Destination: { ToAddresses: ['x@example.com'] },
        Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } },
      }),
    );
  await send(ses(account));
  await assert.rejects(send(ses(account, 2)), (err) => {
    assert.equal(err.name, 'TooManyRequestsException');
    assert.equal(err.$metadata.httpStatusCode, 429);
    assert.equal(err.$metadata.attempts, 2);
    return true;
  });
  const after = await admin(`/__admin/faults/${rule.body.id}`);
  assert.equal(after.body.hits, 2);
  await admin(`/__admin/faults/${rule.body.id}`, {}, { method: 'DELETE' });
});

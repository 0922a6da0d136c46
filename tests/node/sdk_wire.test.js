// stripe-node, twilio-node, @sendgrid/mail and nodemailer, unchanged, against a running fakeservices
// server, where their wire differs from the Python SDKs' (retries, error fields, camelCase keys,
// date serialisation, MIME). Run by tests/test_node_sdk_wire.py, which records every Stripe, Twilio
// and SendGrid response these tests receive and validates it with the Python conformance checker.
// FAKESERVICES_URL and FAKESERVICES_SMTP (host:port) name the server; RUN_ID makes this run's keys
// and addresses its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import Stripe from 'stripe';
import twilio from 'twilio';
import sendgridClient from '@sendgrid/client';
import sendgridMail from '@sendgrid/mail';
import sendgridHelpers from '@sendgrid/helpers';
import nodemailer from 'nodemailer';

const base = process.env.FAKESERVICES_URL;
const smtpAddress = process.env.FAKESERVICES_SMTP;
const run = process.env.RUN_ID ?? String(process.pid);
assert.ok(base, 'FAKESERVICES_URL must name the server');
assert.ok(smtpAddress, 'FAKESERVICES_SMTP must name the SMTP listener (host:port)');
const WAIT = { timeout: 20_000 }; // per test: a hung wire fails the test instead of the run

// -- the admin API ------------------------------------------------------------------------------

async function admin(path, params = {}, init = {}) {
  const url = new URL(path, base);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  const res = await fetch(url, init);
  const type = res.headers.get('content-type') ?? '';
  const body = type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer());
  return { status: res.status, body };
}

async function wait(collection, params, count = 1) {
  const { status, body } = await admin(`/__admin/${collection}/wait`, { ...params, count, timeout: 10 });
  assert.equal(status, 200, JSON.stringify(body));
  return body.data;
}

async function addFault(rule) {
  const { status, body } = await admin('/__admin/faults', {}, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rule),
  });
  assert.equal(status, 201, JSON.stringify(body));
  return body.id;
}

async function faultHits(id) {
  return (await admin(`/__admin/faults/${id}`)).body.hits;
}

async function journal(params) {
  const { status, body } = await admin('/__admin/requests', params);
  assert.equal(status, 200);
  return body.data;
}

// -- stripe-node --------------------------------------------------------------------------------

let keys = 0;
/** A fresh account (secret key) for one test. */
function stripeKey() {
  keys += 1;
  return `sk_test_node_${run}_${keys}`;
}

function stripe(key, maxNetworkRetries = 0) {
  const url = new URL(base);
  return new Stripe(key, {
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    maxNetworkRetries,
  });
}

test('stripe-node: create and confirm a PaymentIntent, expand its charge and customer', WAIT, async () => {
  const s = stripe(stripeKey());
  const customer = await s.customers.create({ email: `pi-${run}@example.com` });
  const created = await s.paymentIntents.create({
    amount: 2500,
    currency: 'eur',
    customer: customer.id,
    payment_method_types: ['card'],
    metadata: { order: '42' },
  });
  assert.equal(created.status, 'requires_payment_method');
  assert.match(created.client_secret, new RegExp(`^${created.id}_secret_`));
  const confirmed = await s.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' });
  assert.equal(confirmed.status, 'succeeded');
  assert.equal(confirmed.amount_received, 2500);
  assert.match(confirmed.lastResponse.requestId, /^req_/);

  const expanded = await s.paymentIntents.retrieve(created.id, {
    expand: ['latest_charge.balance_transaction', 'customer', 'payment_method'],
  });
  assert.equal(expanded.customer.email, `pi-${run}@example.com`);
  assert.equal(expanded.payment_method.card.last4, '4242');
  assert.equal(expanded.latest_charge.object, 'charge');
  assert.equal(expanded.latest_charge.payment_intent, created.id);
  assert.equal(expanded.latest_charge.balance_transaction.object, 'balance_transaction');
  assert.equal(expanded.latest_charge.balance_transaction.amount, 2500);
  assert.deepEqual(expanded.metadata, { order: '42' });
});

test('stripe-node: a decline raises StripeCardError with the fields handlers read', WAIT, async () => {
  const s = stripe(stripeKey());
  const cases = [
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'exp_month', 'confirm_card_data', '54'],
    ['pm_card_chargeDeclinedIncorrectCvc', 'incorrect_cvc', 'cvc', 'confirm_card_data', 'N7'],
    ['pm_card_visa_chargeDeclinedInsufficientFunds', 'insufficient_funds', undefined, 'try_again_later', '51'],
    ['pm_card_visa_chargeDeclinedStolenCard', 'stolen_card', undefined, 'do_not_try_again', '43'],
  ];
  for (const [pm, declineCode, param, advice, network] of cases) {
    const err = await s.paymentIntents
      .create({ amount: 1000, currency: 'usd', payment_method: pm, payment_method_types: ['card'], confirm: true })
      .then(() => assert.fail(`${pm} was not declined`), (e) => e);
    assert.ok(err instanceof Stripe.errors.StripeCardError, `${pm}: ${err}`);
    assert.equal(err.statusCode, 402);
    assert.equal(err.decline_code, declineCode, pm);
    assert.equal(err.param, param, pm);
    assert.equal(err.advice_code, advice, pm);
    assert.equal(err.network_decline_code, network, pm);
    assert.equal(err.raw.decline_code, declineCode);
    assert.match(err.request_log_url, /^https:\/\/dashboard\.stripe\.com\/acct_\w+\/test\/workbench\/logs\?object=req_/);
    const intent = err.raw.payment_intent;
    assert.equal(intent.status, 'requires_payment_method');
    const last = intent.last_payment_error;
    assert.deepEqual(
      [last.type, last.decline_code, last.advice_code, last.network_decline_code],
      ['card_error', declineCode, advice, network],
    );
    assert.equal(err.payment_intent.id, intent.id);
    const charge = await s.charges.retrieve(err.charge);
    assert.equal(charge.status, 'failed');
    assert.deepEqual(
      [charge.outcome.network_status, charge.outcome.type, charge.outcome.advice_code],
      ['declined_by_network', 'issuer_declined', advice],
    );
    assert.equal(charge.failure_code, err.code);
  }
});

test('stripe-node: customers.search pages with autoPagingEach and autoPagingToArray', WAIT, async () => {
  const s = stripe(stripeKey());
  const made = [];
  for (let i = 0; i < 5; i += 1) {
    made.push(await s.customers.create({ email: `s${i}-${run}@example.com`, metadata: { batch: run, i: String(i) } }));
  }
  await s.customers.create({ email: `other-${run}@example.com`, metadata: { batch: 'other' } });
  const query = `metadata['batch']:'${run}'`;
  const first = await s.customers.search({ query, limit: 2 });
  assert.equal(first.object, 'search_result');
  assert.equal(first.data.length, 2);
  assert.equal(first.has_more, true);
  assert.equal(typeof first.next_page, 'string');

  const all = await s.customers.search({ query, limit: 2 }).autoPagingToArray({ limit: 100 });
  assert.deepEqual(
    all.map((c) => c.id).sort(),
    made.map((c) => c.id).sort(),
  );
  const seen = [];
  await s.customers.search({ query: `${query} AND -metadata['i']:'0'`, limit: 3 }).autoPagingEach((c) => {
    seen.push(c.metadata.i);
  });
  assert.deepEqual(seen.sort(), ['1', '2', '3', '4']);

  const bad = await s.customers.search({ query: 'colour:"red"' }).then(() => assert.fail('no error'), (e) => e);
  assert.ok(bad instanceof Stripe.errors.StripeInvalidRequestError);
  assert.equal(bad.param, 'query');
  assert.match(bad.message, /^Field `colour` is an unsupported search field for resource `customers`/);
});

test('stripe-node: customer sources, the default source charged, expand default_source', WAIT, async () => {
  const s = stripe(stripeKey());
  const customer = await s.customers.create({ email: `src-${run}@example.com` });
  const card = await s.customers.createSource(customer.id, { source: 'tok_visa' });
  assert.deepEqual([card.object, card.customer, card.last4], ['card', customer.id, '4242']);
  const second = await s.customers.createSource(customer.id, { source: 'tok_mastercard' });
  const listed = await s.customers.listSources(customer.id, { object: 'card' });
  assert.deepEqual(listed.data.map((c) => c.id).sort(), [card.id, second.id].sort());

  const withDefault = await s.customers.retrieve(customer.id, { expand: ['default_source'] });
  assert.equal(withDefault.default_source.id, card.id);
  const charge = await s.charges.create({ customer: customer.id, amount: 700, currency: 'usd' });
  assert.deepEqual([charge.status, charge.source.id, charge.payment_method], ['succeeded', card.id, card.id]);

  const { lastResponse, ...deleted } = await s.customers.deleteSource(customer.id, card.id);
  assert.deepEqual(deleted, { id: card.id, object: 'card', deleted: true });
  assert.equal(lastResponse.statusCode, 200);
  const after = await s.customers.retrieve(customer.id);
  assert.equal(after.default_source, second.id);

  const declined = await s.customers
    .createSource(customer.id, { source: 'tok_chargeDeclinedExpiredCard' })
    .then(() => assert.fail('attached a declining card'), (e) => e);
  assert.ok(declined instanceof Stripe.errors.StripeCardError);
  assert.equal(declined.decline_code, 'expired_card');
});

test('stripe-node: an explicit idempotencyKey replays the first answer', WAIT, async () => {
  const s = stripe(stripeKey());
  const params = { amount: 900, currency: 'usd', payment_method_types: ['card'] };
  const key = `order-${run}`;
  const a = await s.paymentIntents.create(params, { idempotencyKey: key });
  const b = await s.paymentIntents.create(params, { idempotencyKey: key });
  assert.equal(b.id, a.id);
  assert.equal(b.lastResponse.idempotencyKey, key);
  assert.equal(b.lastResponse.headers['idempotent-replayed'], 'true');
  const conflict = await s.paymentIntents
    .create({ ...params, amount: 901 }, { idempotencyKey: key })
    .then(() => assert.fail('no error'), (e) => e);
  assert.ok(conflict instanceof Stripe.errors.StripeIdempotencyError, String(conflict));
});

test('stripe-node: a dropped connection is retried once, keyed, even at maxNetworkRetries 0', WAIT, async () => {
  const key = stripeKey();
  const s = stripe(key, 0);
  const fault = await addFault({
    service: 'stripe',
    match: { account: key, method: 'POST', path: '/v1/payment_intents' },
    action: { type: 'drop' },
    times: 1,
  });
  const intent = await s.paymentIntents.create({ amount: 1200, currency: 'usd', payment_method_types: ['card'] });
  // stripe-node 22 keys every POST (stripe-node-retry-<uuid>) and retries ECONNRESET/EPIPE once
  // whatever maxNetworkRetries says: the drop answered nothing, the retry created the intent.
  assert.match(intent.lastResponse.idempotencyKey, /^stripe-node-retry-/);
  assert.equal(await faultHits(fault), 1);
  const requests = await journal({ account: key, method: 'POST', path: '/v1/payment_intents' });
  assert.deepEqual(
    requests.map((r) => [r.status, r.fault?.type ?? null]),
    [[0, 'drop'], [200, null]], // 0: no answer was sent
  );
  assert.equal(requests[0].request_body, requests[1].request_body);
  const listed = await s.paymentIntents.list();
  assert.deepEqual(listed.data.map((p) => p.id), [intent.id]);

  // Two drops in a row: the one free retry is spent, the SDK gives up and nothing was created.
  await addFault({
    service: 'stripe',
    match: { account: key, method: 'POST', path: '/v1/customers' },
    action: { type: 'drop' },
    times: 2,
  });
  const err = await s.customers.create({ email: `drop-${run}@example.com` }).then(() => assert.fail('no error'), (e) => e);
  assert.ok(err instanceof Stripe.errors.StripeConnectionError, String(err));
  assert.equal((await s.customers.list()).data.length, 0);
});

test('stripe-node: an injected 503 is retried under maxNetworkRetries, raised as StripeAPIError without', WAIT, async () => {
  const key = stripeKey();
  const fault = await addFault({
    service: 'stripe',
    match: { account: key, method: 'POST', path: '/v1/customers' },
    action: { type: 'error', status: 503 },
    times: 1,
  });
  const customer = await stripe(key, 1).customers.create({ email: `retry-${run}@example.com` });
  assert.equal(await faultHits(fault), 1);
  const requests = await journal({ account: key, method: 'POST', path: '/v1/customers' });
  assert.deepEqual(requests.map((r) => r.status), [503, 200]);
  assert.equal((await stripe(key).customers.list()).data.length, 1);
  assert.match(customer.id, /^cus_/);

  await addFault({
    service: 'stripe',
    match: { account: key, method: 'POST', path: '/v1/customers' },
    action: { type: 'error', status: 503 },
    times: 1,
  });
  const err = await stripe(key, 0).customers.create({}).then(() => assert.fail('no error'), (e) => e);
  assert.ok(err instanceof Stripe.errors.StripeAPIError, String(err));
  assert.equal(err.statusCode, 503);
  assert.equal(err.rawType, 'api_error');
});

test('stripe-node: webhooks.constructEvent verifies what the fake delivers', WAIT, async () => {
  const key = stripeKey();
  const s = stripe(key);
  let resolve;
  const received = new Promise((r) => { resolve = r; });
  const hook = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200).end();
      resolve({ body: Buffer.concat(chunks), signature: req.headers['stripe-signature'] });
    });
  });
  await new Promise((r) => hook.listen(0, '127.0.0.1', r));
  try {
    const endpoint = await s.webhookEndpoints.create({
      url: `http://127.0.0.1:${hook.address().port}/hook`,
      enabled_events: ['payment_intent.succeeded'],
    });
    assert.match(endpoint.secret, /^whsec_/);
    const intent = await s.paymentIntents.create({
      amount: 3100, currency: 'usd', payment_method: 'pm_card_visa', payment_method_types: ['card'], confirm: true,
    });
    const { body, signature } = await received;
    const event = s.webhooks.constructEvent(body, signature, endpoint.secret);
    assert.equal(event.type, 'payment_intent.succeeded');
    assert.equal(event.data.object.id, intent.id);
    assert.throws(
      () => s.webhooks.constructEvent(body, signature, 'whsec_not_the_secret'),
      Stripe.errors.StripeSignatureVerificationError,
    );
    const tampered = Buffer.from(body.toString().replace('3100', '3101'));
    assert.throws(() => s.webhooks.constructEvent(tampered, signature, endpoint.secret), /No signatures found/);
    const [delivery] = await wait('stripe/webhook-deliveries', { account: key, state: 'delivered' });
    assert.equal(delivery.event, 'payment_intent.succeeded');
  } finally {
    hook.close();
  }
});

// -- twilio-node --------------------------------------------------------------------------------

let sids = 0;
/** A fresh Account SID (AC + 32 hex) for one test. */
function accountSid() {
  sids += 1;
  const hex = Buffer.from(`${run}${sids}`).toString('hex');
  return `AC${hex.padEnd(32, '0').slice(0, 32)}`;
}

/** A twilio-node client pointed at the fake, with region and edge cleared (the trap, below). */
function twilioClient(sid, options = {}) {
  const client = twilio(sid, 'token', options);
  client.api.baseUrl = base;
  client.region = undefined;
  client.edge = undefined;
  return client;
}

const SERVICE = `MG${'ab'.repeat(16)}`;

test('twilio-node: create, then read back and fetch', WAIT, async () => {
  const sid = accountSid();
  const client = twilioClient(sid);
  const to = '+15558675310';
  const message = await client.messages.create({ to, from: '+15005550006', body: 'Hello from Node ✓' });
  assert.match(message.sid, /^SM[0-9a-f]{32}$/);
  assert.deepEqual([message.accountSid, message.to, message.status, message.numSegments], [sid, to, 'queued', '1']);
  assert.ok(message.dateCreated instanceof Date);
  const [delivered] = await wait('sms', { account: sid, status: 'delivered' });
  assert.equal(delivered.sid, message.sid);
  const fetched = await client.messages(message.sid).fetch();
  assert.equal(fetched.status, 'delivered');
  const page = await client.messages.list({ to, limit: 20 });
  assert.deepEqual(page.map((m) => m.sid), [message.sid]);
});

test('twilio-node: a scheduled message (scheduleType fixed, sendAt Date) is canceled by update', WAIT, async () => {
  const sid = accountSid();
  const client = twilioClient(sid);
  const sendAt = new Date(Date.now() + 2 * 3600 * 1000);
  const scheduled = await client.messages.create({
    to: '+15558675311',
    messagingServiceSid: SERVICE,
    body: 'Your appointment is tomorrow',
    scheduleType: 'fixed',
    sendAt,
  });
  assert.equal(scheduled.status, 'scheduled');
  assert.equal(scheduled.messagingServiceSid, SERVICE);
  // twilio-node serialises the Date as ISO 8601 UTC without milliseconds (SendAt=...T..:..:..Z).
  const [request] = await journal({ account: sid, method: 'POST', service: 'sms' });
  const wire = new URLSearchParams(request.request_body);
  assert.equal(wire.get('SendAt'), sendAt.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  assert.equal(wire.get('ScheduleType'), 'fixed');
  const [stored] = await wait('sms', { account: sid, status: 'scheduled' });
  assert.equal(Date.parse(stored.send_at), Math.floor(sendAt.getTime() / 1000) * 1000);
  const canceled = await client.messages(scheduled.sid).update({ status: 'canceled' });
  assert.equal(canceled.status, 'canceled');

  const again = await client.messages(scheduled.sid).update({ status: 'canceled' }).then(() => assert.fail('no error'), (e) => e);
  assert.deepEqual([again.status, again.code], [400, 30409]);

  // Sent now through the admin extension, it goes through its lifecycle.
  const later = await client.messages.create({
    to: '+15558675312', messagingServiceSid: SERVICE, body: 'soon', scheduleType: 'fixed', sendAt,
  });
  const now = await admin(`/__admin/sms/${later.sid}/send-now`, {}, { method: 'POST' });
  assert.equal(now.status, 202);
  const [done] = await wait('sms', { account: sid, to: '+15558675312', status: 'delivered' });
  assert.equal(done.sid, later.sid);
});

test('twilio-node: errors are RestException with code, moreInfo and status', WAIT, async () => {
  const sid = accountSid();
  const client = twilioClient(sid);
  const bad = await client.messages
    .create({ to: '+15005550001', from: '+15005550006', body: 'x' })
    .then(() => assert.fail('no error'), (e) => e);
  assert.ok(bad instanceof twilio.RestException, String(bad));
  assert.deepEqual(
    [bad.status, bad.code, bad.moreInfo, bad.message],
    [400, 21211, 'https://www.twilio.com/docs/errors/21211', "The 'To' number +15005550001 is not a valid phone number."],
  );
  const tooSoon = await client.messages
    .create({ to: '+15558675310', messagingServiceSid: SERVICE, body: 'x', scheduleType: 'fixed', sendAt: new Date(Date.now() + 60_000) })
    .then(() => assert.fail('no error'), (e) => e);
  assert.equal(tooSoon.code, 35114);
  assert.match(tooSoon.message, /^Scheduling does not support this timestamp/);

  // Another SID in the URL than the one authenticating: Twilio's 401 text.
  const other = twilioClient(sid, { accountSid: accountSid() });
  const unauthorized = await other.messages.create({ to: '+15558675310', from: '+15005550006', body: 'x' })
    .then(() => assert.fail('no error'), (e) => e);
  assert.deepEqual(
    [unauthorized.status, unauthorized.code, unauthorized.message],
    [401, 20003, 'Authentication Error - invalid username'],
  );
});

test('twilio-node: the region/edge trap rewrites a host name, not an IP literal', WAIT, async () => {
  const sid = accountSid();
  const port = new URL(base).port;
  const trapped = twilio(sid, 'token', { region: 'au1', edge: 'sydney' });
  // BaseTwilio.getHostname rewrites the host at send time (localhost -> localhost.sydney.au1.localhost;
  // a compose service "fakeservices" -> fakeservices.sydney.au1.fakeservices): the request never
  // reaches the fake.
  trapped.api.baseUrl = `http://localhost:${port}`;
  const err = await trapped.messages
    .create({ to: '+15558675310', from: '+15005550006', body: 'lost' })
    .then(() => assert.fail('reached a server'), (e) => e);
  assert.ok(['ENOTFOUND', 'EAI_AGAIN'].includes(err.code), `${err.code}: ${err}`);
  assert.match(err.message, /ENOTFOUND localhost\.sydney\.au1\.localhost$/);
  assert.deepEqual(await journal({ account: sid }), []);

  // It assigns the rewritten name to a WHATWG URL, whose hostname setter ignores a name ending in a
  // number that is not an IPv4 address (127.sydney.au1.0.1): 127.0.0.1 is left as it is.
  trapped.api.baseUrl = base;
  const sent = await trapped.messages.create({ to: '+15558675310', from: '+15005550006', body: 'found' });
  assert.equal(sent.accountSid, sid);

  // Cleared on the instance, a host name is left alone too.
  trapped.region = undefined;
  trapped.edge = undefined;
  assert.equal(trapped.getHostname('localhost', trapped.edge, trapped.region), 'localhost');
});

// -- @sendgrid/mail -----------------------------------------------------------------------------

function mailer(apiKey) {
  const client = new sendgridClient.Client();
  client.setApiKey(apiKey); // first: setApiKey resets the base URL to SendGrid's
  client.setDefaultRequest('baseUrl', base);
  const mail = new sendgridMail.MailService();
  mail.setClient(client);
  return mail;
}

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const PDF = Buffer.from('%PDF-1.4\n% bytes \x00\x01\x02\xff\n', 'latin1');

test('@sendgrid/mail: attachments and an inline image through the Attachment helper (content_id on the wire)', WAIT, async () => {
  const apiKey = `SG.node_${run}_a`;
  const to = `sg-${run}@example.com`;
  const inline = new sendgridHelpers.classes.Attachment({
    content: PNG.toString('base64'),
    filename: 'logo.png',
    type: 'image/png',
    disposition: 'inline',
    contentId: 'logo',
  });
  const [response] = await mailer(apiKey).send({
    to,
    from: { email: 'shop@acme.example', name: 'Acme' },
    subject: 'Your receipt',
    text: 'Thanks',
    html: '<p>Thanks <img src="cid:logo"></p>',
    categories: ['receipt'],
    attachments: [
      { content: PDF.toString('base64'), filename: 'receipt.pdf', type: 'application/pdf', disposition: 'attachment' },
      inline,
    ],
  });
  assert.equal(response.statusCode, 202);
  assert.match(response.headers['x-message-id'], /\S/);
  const [mail] = await wait('emails', { account: apiKey, to });
  assert.equal(mail.source, 'sendgrid');
  // The stored MIME puts inline parts (multipart/related) before attachments: read by index.
  const byName = Object.fromEntries(mail.attachments.map((a) => [a.filename, a]));
  assert.deepEqual(
    ['receipt.pdf', 'logo.png'].map((f) => [byName[f].content_type, byName[f].disposition, byName[f].content_id]),
    [['application/pdf', 'attachment', null], ['image/png', 'inline', 'logo']],
  );
  for (const [name, bytes] of [['receipt.pdf', PDF], ['logo.png', PNG]]) {
    const got = await admin(`/__admin/emails/${mail.id}/attachments/${byName[name].index}`);
    assert.equal(got.status, 200);
    assert.ok(Buffer.compare(got.body, bytes) === 0, `${name} differs`);
  }
  const [sent] = await journal({ account: apiKey, service: 'sendgrid' });
  assert.equal(JSON.parse(sent.request_body).attachments[1].content_id, 'logo');
});

test('@sendgrid/mail: a plain { contentId } attachment goes out as contentId and SendGrid answers 400', WAIT, async () => {
  const apiKey = `SG.node_${run}_b`;
  const to = `sg-inline-${run}@example.com`;
  const message = (attachment) => ({
    to, from: 'shop@acme.example', subject: 'Inline', html: '<img src="cid:logo">',
    attachments: [{ content: PNG.toString('base64'), filename: 'logo.png', type: 'image/png', disposition: 'inline', ...attachment }],
  });
  // The SDK's own AttachmentData type spells it contentId; Mail.toJSON does not convert keys
  // inside arrays (helpers/convert-keys.js), so the wire carries "contentId" and no content_id.
  const err = await mailer(apiKey).send(message({ contentId: 'logo' })).then(() => assert.fail('accepted'), (e) => e);
  assert.equal(err.code, 400);
  assert.deepEqual(err.response.body.errors, [{
    message: "The content_id parameter is required if disposition = 'inline'.",
    field: 'attachments.0.content_id',
    help: err.response.body.errors[0].help,
  }]);
  const [rejected] = await journal({ account: apiKey, service: 'sendgrid' });
  assert.equal(JSON.parse(rejected.request_body).attachments[0].contentId, 'logo');

  const [ok] = await mailer(apiKey).send(message({ content_id: 'logo' }));
  assert.equal(ok.statusCode, 202);
  const stored = await wait('emails', { account: apiKey });
  assert.equal(stored.length, 1);
  assert.equal(stored[0].attachments[0].content_id, 'logo');
});

// -- nodemailer ---------------------------------------------------------------------------------

test('nodemailer: SMTP AUTH, cc/bcc, a UTF-8 subject and byte-exact attachments', WAIT, async () => {
  const [host, port] = smtpAddress.split(':');
  const user = `node-smtp-${run}`;
  const transport = nodemailer.createTransport({ host, port: Number(port), secure: false, auth: { user, pass: 'secret' } });
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const subject = 'Grüße aus Köln — 注文 #7 🎉';
  try {
    const info = await transport.sendMail({
      from: '"Shöp" <shop@acme.example>',
      to: `to-${run}@example.com`,
      cc: `cc-${run}@example.com`,
      bcc: `bcc-${run}@example.com`,
      subject,
      text: 'Bonjour, voilà ✓',
      html: '<p>Bonjour, <b>voilà</b> ✓</p>',
      attachments: [
        { filename: 'all-bytes.bin', content: binary, contentType: 'application/octet-stream' },
        { filename: 'résumé.txt', content: 'naïve café\n' },
      ],
    });
    assert.deepEqual(info.accepted.sort(), [`bcc-${run}@example.com`, `cc-${run}@example.com`, `to-${run}@example.com`]);
    assert.deepEqual(info.rejected, []);
    const [mail] = await wait('emails', { account: user });
    assert.equal(mail.source, 'smtp');
    assert.equal(mail.subject, subject);
    assert.deepEqual([mail.to, mail.cc, mail.bcc], [[`to-${run}@example.com`], [`cc-${run}@example.com`], [`bcc-${run}@example.com`]]);
    assert.equal(mail.from, 'shop@acme.example');
    assert.equal(mail.text, 'Bonjour, voilà ✓');
    assert.equal(mail.html, '<p>Bonjour, <b>voilà</b> ✓</p>');
    assert.deepEqual(mail.parse_errors, []);
    assert.deepEqual(
      mail.attachments.map((a) => [a.filename, a.size]),
      [['all-bytes.bin', 256], ['résumé.txt', Buffer.byteLength('naïve café\n')]],
    );
    const first = await admin(`/__admin/emails/${mail.id}/attachments/0`);
    assert.ok(Buffer.compare(first.body, binary) === 0, 'binary attachment differs');
    const second = await admin(`/__admin/emails/${mail.id}/attachments/1`);
    assert.equal(second.body.toString('utf8'), 'naïve café\n');
  } finally {
    transport.close();
  }
});

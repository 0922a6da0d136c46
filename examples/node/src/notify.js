// Outgoing messages: the welcome email (SMTP, nodemailer), the order SMS (twilio-node) and the
// receipt (SendGrid).

import sendgridClient from "@sendgrid/client";
import sendgridMail from "@sendgrid/mail";
import nodemailer from "nodemailer";
import twilio from "twilio";

export function createNotifier(settings) {
  const smtp = nodemailer.createTransport({
    host: settings.smtp.host,
    port: settings.smtp.port,
    secure: false,
    ...(settings.smtp.user ? { auth: { user: settings.smtp.user, pass: settings.smtp.password ?? "" } } : {}),
  });

  const sms = twilio(settings.twilio.accountSid, settings.twilio.authToken);
  if (settings.twilio.apiBase) {
    sms.api.baseUrl = settings.twilio.apiBase;
    // TWILIO_REGION / TWILIO_EDGE would rewrite the host of every request (api.<edge>.<region>...).
    sms.region = undefined;
    sms.edge = undefined;
  }

  const sendgrid = new sendgridClient.Client();
  sendgrid.setApiKey(settings.sendgrid.apiKey); // first: setApiKey resets the base URL
  if (settings.sendgrid.apiBase) sendgrid.setDefaultRequest("baseUrl", settings.sendgrid.apiBase);
  const mail = new sendgridMail.MailService();
  mail.setClient(sendgrid);

  return {
    async welcome(name, to) {
      await smtp.sendMail({
        from: settings.mailFrom,
        to,
        subject: `Welcome to the shop, ${name}!`,
        text: `Hello ${name},\n\nthanks for signing up.\n`,
        html: `<p>Hello <b>${name}</b>, thanks for signing up.</p>`,
      });
    },

    async orderSms(to, order) {
      const message = await sms.messages.create({
        to,
        from: settings.twilio.from,
        body: `Order #${order.id} paid: ${(order.amount / 100).toFixed(2)} ${order.currency.toUpperCase()}. Thank you!`,
      });
      return message.sid;
    },

    async receipt(to, order) {
      await mail.send({
        to,
        from: settings.mailFrom,
        subject: `Receipt for order #${order.id}`,
        text: `You paid ${(order.amount / 100).toFixed(2)} ${order.currency.toUpperCase()}.`,
        categories: ["receipt"],
      });
    },

    close() {
      smtp.close();
    },
  };
}

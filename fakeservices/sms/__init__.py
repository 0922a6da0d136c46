"""SMS sink: a Twilio-compatible Programmable Messaging API (``/2010-04-01/...``)."""

"""Local stand-ins for Twilio and the Telegram Bot API, for trying surveybot without accounts.

`surveybot dev-fakes` runs them on 127.0.0.1. The server talks to them with the real twilio and
python-telegram-bot clients; a person plays the customer through the fakes' `/phone/...` routes,
and the fakes sign and deliver the customer's answers to the server's webhooks, as the real
services do.
"""

"""Connectors: contact-centre platforms start surveys (inbound webhooks, one module each) and get
every score back on the contact (bots.connectors.outbound)."""

"""Synthetic traffic for the complaint pipeline: texts, signed provider payloads, call-log files.

Everything here is a *client* of the system: it builds requests the way Twilio, Vonage, Meta, X,
a browser and a call-centre export would, and sends them through the real entry points over
HTTP. Signatures are computed here from the providers' documentation, independently of the
verification code in `ingestion`, so the two cross-check each other.
"""

"""A software passkey for the harness: it answers the server's WebAuthn
options with real P-256 signatures over real authenticator data, as a
platform authenticator with user verification would (the same protocol
as server/tests/api/soft_passkey.rs, written independently of it)."""

import base64
import hashlib
import json
import os

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def client_data(kind, challenge, origin):
    return json.dumps({"type": kind, "challenge": challenge, "origin": origin,
                       "crossOrigin": False}).encode()


class Passkey:
    def __init__(self, options, origin):
        """Answers registration options (`{"publicKey": …}`); the credential
        to send back is `self.credential`."""
        pk = options["publicKey"]
        self.rp_id = pk["rp"]["id"]
        self.origin = origin
        self.user_handle = pk["user"]["id"]
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.id = os.urandom(16)
        numbers = self.key.public_key().public_numbers()
        cose = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big")}
        auth = hashlib.sha256(self.rp_id.encode()).digest()
        auth += bytes([0x45]) + (0).to_bytes(4, "big") + bytes(16)
        auth += len(self.id).to_bytes(2, "big") + self.id + cbor2.dumps(cose)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth})
        self.credential = {
            "id": b64(self.id), "rawId": b64(self.id), "type": "public-key",
            "response": {
                "attestationObject": b64(attestation),
                "clientDataJSON": b64(client_data("webauthn.create", pk["challenge"], origin)),
                "transports": ["internal"],
            },
            "extensions": {},
        }

    def assert_options(self, options):
        """A fresh assertion over the options' challenge. The signature
        counter stays 0, as for authenticators that keep none: clients
        approve concurrently, so assertions may reach the server out of order."""
        auth = hashlib.sha256(self.rp_id.encode()).digest() + bytes([0x05])
        auth += (0).to_bytes(4, "big")
        data = client_data("webauthn.get", options["publicKey"]["challenge"], self.origin)
        signature = self.key.sign(auth + hashlib.sha256(data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64(self.id), "rawId": b64(self.id), "type": "public-key",
            "response": {
                "authenticatorData": b64(auth),
                "clientDataJSON": b64(data),
                "signature": b64(signature),
                "userHandle": self.user_handle,
            },
            "extensions": {},
        }

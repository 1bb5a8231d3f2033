//! A software passkey for tests that talk to the server without a browser:
//! it answers the server's WebAuthn options with real P-256 signatures over
//! real authenticator data, as a platform authenticator with user
//! verification would. (The browser tests use Chromium's virtual authenticator.)

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
use p256::ecdsa::{signature::Signer, Signature, SigningKey};
use serde_cbor_2::Value;
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub struct SoftPasskey {
    key: SigningKey,
    credential_id: Vec<u8>,
    user_handle: String,
    counter: u32,
    rp_id: String,
    origin: String,
}

fn public_key(options_json: &str) -> Json {
    let options: Json = serde_json::from_str(options_json).expect("options JSON");
    options["publicKey"].clone()
}

fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": kind,
        "challenge": challenge,
        "origin": origin,
        "crossOrigin": false,
    }))
    .unwrap()
}

impl SoftPasskey {
    /// Answers registration options; returns the passkey and the credential JSON for the server.
    pub fn register(options_json: &str, origin: &str) -> (SoftPasskey, String) {
        let pk = public_key(options_json);
        let rp_id = pk["rp"]["id"].as_str().expect("rp id").to_string();
        let key = loop {
            if let Ok(k) = SigningKey::from_slice(&rand::random::<[u8; 32]>()) {
                break k;
            }
        };
        let credential_id = rand::random::<[u8; 16]>().to_vec();
        let point = key.verifying_key().to_encoded_point(false);
        let cose = Value::Map(BTreeMap::from([
            (Value::Integer(1), Value::Integer(2)),
            (Value::Integer(3), Value::Integer(-7)),
            (Value::Integer(-1), Value::Integer(1)),
            (
                Value::Integer(-2),
                Value::Bytes(point.x().unwrap().to_vec()),
            ),
            (
                Value::Integer(-3),
                Value::Bytes(point.y().unwrap().to_vec()),
            ),
        ]));
        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(0x45); // user present, user verified, attested credential data
        auth_data.extend_from_slice(&0u32.to_be_bytes());
        auth_data.extend_from_slice(&[0u8; 16]); // AAGUID
        auth_data.extend_from_slice(&(credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&credential_id);
        auth_data.extend_from_slice(&serde_cbor_2::to_vec(&cose).unwrap());
        let attestation = Value::Map(BTreeMap::from([
            (Value::Text("fmt".into()), Value::Text("none".into())),
            (Value::Text("attStmt".into()), Value::Map(BTreeMap::new())),
            (Value::Text("authData".into()), Value::Bytes(auth_data)),
        ]));
        let challenge = pk["challenge"].as_str().expect("challenge");
        let credential = json!({
            "id": B64.encode(&credential_id),
            "rawId": B64.encode(&credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": B64.encode(serde_cbor_2::to_vec(&attestation).unwrap()),
                "clientDataJSON": B64.encode(client_data("webauthn.create", challenge, origin)),
                "transports": ["internal"],
            },
            "extensions": {},
        });
        let passkey = SoftPasskey {
            key,
            credential_id,
            user_handle: pk["user"]["id"].as_str().expect("user id").to_string(),
            counter: 0,
            rp_id,
            origin: origin.to_string(),
        };
        (passkey, credential.to_string())
    }

    /// Answers authentication options with a fresh assertion.
    pub fn assert(&mut self, options_json: &str) -> String {
        let pk = public_key(options_json);
        self.assert_challenge(pk["challenge"].as_str().expect("challenge"))
    }

    /// An assertion over any challenge (to test one that was issued for something else).
    pub fn assert_challenge(&mut self, challenge: &str) -> String {
        self.counter += 1;
        let mut auth_data = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        auth_data.push(0x05); // user present, user verified
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        let client_data = client_data("webauthn.get", challenge, &self.origin);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: Signature = self.key.sign(&signed);
        json!({
            "id": B64.encode(&self.credential_id),
            "rawId": B64.encode(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": B64.encode(&auth_data),
                "clientDataJSON": B64.encode(&client_data),
                "signature": B64.encode(signature.to_der().as_bytes()),
                "userHandle": self.user_handle,
            },
            "extensions": {},
        })
        .to_string()
    }
}

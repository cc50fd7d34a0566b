//! The public keys of secret-scanning partners (`PULSE_LEAK_REPORT_KEYS`): GitHub's partner
//! program signs each report with ECDSA P-256 over SHA-256 of the raw body, and sends the
//! signature (base64 of its DER encoding) in `Github-Public-Key-Signature`. With keys
//! configured, only reports signed by one of them are accepted. RustCrypto `p256`/`ecdsa`.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;

/// The configured partner keys; none means reports are accepted unsigned.
#[derive(Clone, Debug, Default)]
pub struct PartnerKeys(Vec<VerifyingKey>);

const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
const END: &str = "-----END PUBLIC KEY-----";

impl PartnerKeys {
    /// Every `PUBLIC KEY` block of `pem` (as GitHub publishes them); an error names the bad one.
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        let mut rest = pem;
        while let Some(start) = rest.find(BEGIN) {
            let end = rest[start..]
                .find(END)
                .map(|at| start + at + END.len())
                .ok_or_else(|| format!("key {} has no {END} line", keys.len() + 1))?;
            let key = VerifyingKey::from_public_key_pem(&rest[start..end])
                .map_err(|e| format!("key {} is not a P-256 public key: {e}", keys.len() + 1))?;
            keys.push(key);
            rest = &rest[end..];
        }
        if keys.is_empty() {
            return Err(format!("no {BEGIN} block"));
        }
        Ok(Self(keys))
    }

    pub fn is_configured(&self) -> bool {
        !self.0.is_empty()
    }

    /// Whether `signature` (base64 of a DER ECDSA signature) signs `body` under one of the keys.
    /// GitHub rotates its keys, so any configured one will do.
    pub fn verify(&self, body: &[u8], signature: &str) -> bool {
        let Some(signature) = STANDARD
            .decode(signature.trim())
            .ok()
            .and_then(|der| Signature::from_der(&der).ok())
        else {
            return false;
        };
        self.0
            .iter()
            .any(|key| key.verify(body, &signature).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::SigningKey;
    use p256::ecdsa::signature::Signer;
    use p256::pkcs8::{EncodePublicKey, LineEnding};

    use super::*;

    fn signing_key(seed: u8) -> SigningKey {
        SigningKey::from_slice(&[seed; 32]).unwrap()
    }

    fn pem_of(key: &SigningKey) -> String {
        key.verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap()
    }

    #[test]
    fn only_a_signature_of_the_very_body_by_a_configured_key_verifies() {
        let (current, old, stranger) = (signing_key(1), signing_key(2), signing_key(3));
        let keys =
            PartnerKeys::from_pem(&format!("{}\n{}", pem_of(&old), pem_of(&current))).unwrap();
        let body = br#"[{"token":"pulse_x"}]"#;
        let sign = |key: &SigningKey, body: &[u8]| {
            let signature: Signature = key.sign(body);
            STANDARD.encode(signature.to_der())
        };
        assert!(keys.verify(body, &sign(&current, body)));
        assert!(keys.verify(body, &sign(&old, body)), "either key");
        assert!(!keys.verify(body, &sign(&stranger, body)));
        assert!(!keys.verify(b"[]", &sign(&current, body)), "another body");
        assert!(!keys.verify(body, "not base64!"));
        assert!(!keys.verify(body, ""));
    }

    #[test]
    fn keys_must_be_p256_public_keys_in_pem() {
        assert!(PartnerKeys::from_pem("").is_err());
        assert!(PartnerKeys::from_pem(&format!("{BEGIN}\nAAAA\n{END}")).is_err());
        assert!(!PartnerKeys::default().is_configured());
        assert!(
            PartnerKeys::from_pem(&pem_of(&signing_key(9)))
                .unwrap()
                .is_configured()
        );
    }
}

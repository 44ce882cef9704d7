//! Encryption of citizens' personal data at rest (XChaCha20-Poly1305, a random nonce per value)
//! and a blind index (HMAC-SHA256) to find a person's submissions without decrypting them all.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

const PREFIX: &str = "v1:";

#[derive(Clone)]
pub struct Vault {
    cipher: XChaCha20Poly1305,
    index_key: [u8; 32],
    check: [u8; 32],
}

fn derive(key: &[u8; 32], purpose: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(purpose);
    mac.finalize().into_bytes().into()
}

impl Vault {
    /// Two keys derived from the configured one: one encrypts, one indexes.
    pub fn new(key: &[u8; 32]) -> Self {
        let encryption = derive(key, b"muni personal data encryption");
        Vault {
            cipher: XChaCha20Poly1305::new(Key::from_slice(&encryption)),
            index_key: derive(key, b"muni blind index"),
            check: derive(key, b"muni key check"),
        }
    }

    /// A value that identifies the key without revealing it, stored to notice a changed key.
    pub fn key_check(&self) -> String {
        self.check.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// `v1:` and the base64 of nonce and ciphertext.
    pub fn seal(&self, plaintext: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = self.cipher.encrypt(XNonce::from_slice(&nonce), plaintext.as_bytes()).unwrap_or_default();
        let mut sealed = nonce.to_vec();
        sealed.extend(ciphertext);
        format!("{PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(sealed))
    }

    /// The plaintext of a sealed value; an error if it was tampered with or sealed with another key.
    pub fn open(&self, sealed: &str) -> Result<String, String> {
        let encoded = sealed.strip_prefix(PREFIX).ok_or("unknown format")?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|e| e.to_string())?;
        if bytes.len() < 24 {
            return Err("too short".into());
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let plaintext = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), ciphertext)
            .map_err(|_| "cannot decrypt: wrong key or damaged value".to_owned())?;
        String::from_utf8(plaintext).map_err(|e| e.to_string())
    }

    pub fn seal_opt(&self, plaintext: Option<&str>) -> Option<String> {
        plaintext.map(|p| self.seal(p))
    }

    /// A keyed hash of a normalised contact (email or phone), equal for equal contacts.
    pub fn blind_index(&self, contact: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key).expect("HMAC takes any key length");
        mac.update(contact.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Whether two secrets are equal, in time that depends on neither: their SHA-256 digests are
/// compared byte by byte without stopping early.
pub fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    use sha2::Digest;
    let (a, b) = (Sha256::digest(given), Sha256::digest(expected));
    a.iter().zip(b.iter()).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_with_the_same_key_only() {
        let vault = Vault::new(&[7; 32]);
        let sealed = vault.seal("0912 345 678");
        assert!(!sealed.contains("0912"));
        assert_ne!(sealed, vault.seal("0912 345 678"), "a fresh nonce each time");
        assert_eq!(vault.open(&sealed).unwrap(), "0912 345 678");
        assert!(Vault::new(&[8; 32]).open(&sealed).is_err());
        assert_eq!(vault.blind_index("a@b.vn"), vault.blind_index("a@b.vn"));
        assert_ne!(vault.blind_index("a@b.vn"), Vault::new(&[8; 32]).blind_index("a@b.vn"));
    }
}

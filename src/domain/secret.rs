//! Random values from the operating system and the digests under which secrets are stored.
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

pub const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `len` base62 characters drawn from the OS generator without modulo bias.
pub fn random_base62(len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        OsRng
            .try_fill_bytes(&mut buf)
            .expect("the operating system's random generator failed");
        // 248 = 4 * 62: bytes at or above it would favour the first characters.
        for b in buf.iter().filter(|b| **b < 248) {
            if out.len() == len {
                break;
            }
            out.push(BASE62[usize::from(*b % 62)] as char);
        }
    }
    out
}

pub fn sha256_hex(input: &[u8]) -> String {
    hex::encode(Sha256::digest(input))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_base62_has_requested_length_and_alphabet() {
        let value = random_base62(43);
        assert_eq!(value.len(), 43);
        assert!(value.bytes().all(|b| BASE62.contains(&b)));
        assert_ne!(value, random_base62(43));
    }
}

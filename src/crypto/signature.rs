//! Signature verification and the low-S rule.

use sha2::{Digest, Sha256};

use super::keys::CurvePoint;
use super::{es256, libsecp};
use super::{Algorithm, PublicKey};
use crate::{Code, Error, Result};

/// The only accepted signature size: compact `r‖s`, 32 bytes each.
pub(super) const SIGNATURE_LEN: usize = 64;

/// A 64-byte compact signature whose `r` and `s` are both in `1..n` of its curve.
struct ParsedSignature {
    algorithm: Algorithm,
    compact: [u8; SIGNATURE_LEN],
}

impl ParsedSignature {
    fn parse(algorithm: Algorithm, signature: &[u8]) -> Result<ParsedSignature> {
        let compact: &[u8; SIGNATURE_LEN] =
            signature.try_into().map_err(|_| wrong_length(signature))?;
        let in_range = match algorithm {
            Algorithm::Es256k => libsecp::scalars_in_range(compact),
            Algorithm::Es256 => es256::scalars_in_range(compact),
        };
        if !in_range {
            return Err(Error::new(
                Code::InvalidSignatureFormat,
                format!(
                    "{algorithm} signature has r or s equal to zero or not below the curve order"
                ),
            ));
        }
        Ok(ParsedSignature {
            algorithm,
            compact: *compact,
        })
    }

    fn is_high_s(&self) -> bool {
        match self.algorithm {
            Algorithm::Es256k => libsecp::is_high_s(&self.compact),
            Algorithm::Es256 => es256::is_high_s(&self.compact),
        }
    }

    fn normalized_bytes(&self) -> [u8; SIGNATURE_LEN] {
        match self.algorithm {
            Algorithm::Es256k => libsecp::normalized(&self.compact),
            Algorithm::Es256 => es256::normalized(&self.compact),
        }
    }
}

fn wrong_length(signature: &[u8]) -> Error {
    let looks_der = signature.first() == Some(&0x30) && (8..=72).contains(&signature.len());
    let hint = if looks_der {
        " (it looks DER-encoded; atproto signatures are compact r‖s)"
    } else {
        ""
    };
    Error::new(
        Code::InvalidSignatureFormat,
        format!(
            "signature must be 64 bytes (compact r‖s), got {}{hint}",
            signature.len()
        ),
    )
}

fn high_s_error(algorithm: Algorithm) -> Error {
    Error::new(
        Code::HighSSignature,
        format!(
            "{algorithm} signature has a high S (s > n/2); atproto accepts only low-S signatures"
        ),
    )
}

/// Verifies `signature` over `data` (hashed with SHA-256) with `key`, and says precisely what is wrong:
///
/// - `invalid-signature-format`: not 64 bytes (e.g. DER), or `r`/`s` zero or not below the curve order;
/// - `high-s-signature`: `s > n/2`, refused on both curves even though the math would verify;
/// - `bad-signature`: well-formed, but not made by this key over this data.
pub fn verify_signature_strict(key: &PublicKey, data: &[u8], signature: &[u8]) -> Result<()> {
    let algorithm = key.algorithm();
    let parsed = ParsedSignature::parse(algorithm, signature)?;
    if parsed.is_high_s() {
        return Err(high_s_error(algorithm));
    }
    let prehash: [u8; 32] = Sha256::digest(data).into();
    let verified = match &key.0 {
        CurvePoint::K256(key) => key.verify_prehash(&prehash, &parsed.compact),
        CurvePoint::P256(key) => key.verify_prehash(&prehash, &parsed.compact),
    };
    if verified {
        Ok(())
    } else {
        Err(Error::new(
            Code::BadSignature,
            format!("{algorithm} signature does not match the key and data"),
        ))
    }
}

/// `true` when `signature` is a valid atproto signature over `data` by `key`; `false` for every way it
/// can fail (wrong length or DER, out-of-range scalars, high S, not matching). See
/// [`verify_signature_strict`] for the reason.
pub fn verify_signature(key: &PublicKey, data: &[u8], signature: &[u8]) -> bool {
    verify_signature_strict(key, data, signature).is_ok()
}

/// Whether a 64-byte compact signature for `algorithm` is in low-S form (`s ≤ n/2`).
///
/// Errors with `invalid-signature-format` when it is not 64 bytes or `r`/`s` is out of range.
pub fn is_low_s(algorithm: Algorithm, signature: &[u8]) -> Result<bool> {
    Ok(!ParsedSignature::parse(algorithm, signature)?.is_high_s())
}

/// The low-S twin of a 64-byte compact signature (`s` replaced by `n − s` when `s > n/2`; unchanged
/// otherwise). Both verify for the same key and data, and atproto accepts only the low-S one. For
/// external signers, e.g. WebCrypto's P-256, which may return either.
///
/// Errors with `invalid-signature-format` when it is not 64 bytes or `r`/`s` is out of range.
pub fn normalize_low_s(algorithm: Algorithm, signature: &[u8]) -> Result<[u8; SIGNATURE_LEN]> {
    Ok(ParsedSignature::parse(algorithm, signature)?.normalized_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_lengths_are_format_errors() {
        let key =
            PublicKey::from_did_key("did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc")
                .unwrap();
        for len in [0, 63, 65, 70, 71, 72] {
            let err = verify_signature_strict(&key, b"x", &vec![0x30; len]).unwrap_err();
            assert_eq!(err.code(), Code::InvalidSignatureFormat, "{len}");
        }
    }

    #[test]
    fn zero_or_overflowing_scalars_are_format_errors() {
        for alg in [Algorithm::Es256k, Algorithm::Es256] {
            let mut sig = [0u8; 64];
            sig[31] = 1; // r = 1, s = 0
            assert_eq!(
                is_low_s(alg, &sig).unwrap_err().code(),
                Code::InvalidSignatureFormat
            );
            let sig = [0xff; 64]; // r, s ≥ n
            assert_eq!(
                normalize_low_s(alg, &sig).unwrap_err().code(),
                Code::InvalidSignatureFormat
            );
        }
    }
}

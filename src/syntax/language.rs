//! The lexicon `language` format: a BCP 47 language tag (RFC 5646), well-formed and valid.
//!
//! Grammar (§2.1): `language[-script][-region]*(-variant)*(-extension)[-privateuse]`, or a
//! private-use tag `x-…`, or one of the grandfathered tags. Validity (§2.2.9): a variant or an
//! extension singleton may not appear twice (compared case-insensitively). atproto also wants the
//! primary language subtag in lower case and refuses the reserved 4-letter form.

use super::invalid;
use crate::{Code, Result};

/// Maximum length of a language tag accepted here.
pub const MAX_LANGUAGE_LEN: usize = 128;

/// The irregular and regular grandfathered tags of RFC 5646 §2.2.8, matched exactly.
const GRANDFATHERED: &[&str] = &[
    "en-GB-oed",
    "i-ami",
    "i-bnn",
    "i-default",
    "i-enochian",
    "i-hak",
    "i-klingon",
    "i-lux",
    "i-mingo",
    "i-navajo",
    "i-pwn",
    "i-tao",
    "i-tay",
    "i-tsu",
    "sgn-BE-FR",
    "sgn-BE-NL",
    "sgn-CH-DE",
    "art-lojban",
    "cel-gaulish",
    "no-bok",
    "no-nyn",
    "zh-guoyu",
    "zh-hakka",
    "zh-min",
    "zh-min-nan",
    "zh-xiang",
];

fn is_alpha(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphabetic())
}
fn is_alnum(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}
fn is_digit(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}
fn is_variant(s: &str) -> bool {
    is_alnum(s)
        && match s.len() {
            5..=8 => true,
            4 => s.bytes().next().is_some_and(|b| b.is_ascii_digit()),
            _ => false,
        }
}

/// A tag's subtags, one at a time, with a look at the next: `split('-')` behind a `Peekable` had
/// its string searcher inlined at every look (size: docs/performance.md, "wasm size").
struct Subtags<'a> {
    /// The next subtag, if any.
    next: Option<&'a str>,
    /// What follows it, after its `-` (`None` when it is the last).
    rest: Option<&'a str>,
}

impl<'a> Subtags<'a> {
    fn new(tag: &'a str) -> Subtags<'a> {
        let mut subtags = Subtags {
            next: None,
            rest: Some(tag),
        };
        subtags.advance();
        subtags
    }

    /// The next subtag if `accept` takes it (then it is consumed).
    fn next_if(&mut self, accept: fn(&str) -> bool) -> Option<&'a str> {
        self.next.filter(|s| accept(s)).and_then(|_| self.advance())
    }

    /// Consumes the next subtag.
    #[inline(never)]
    fn advance(&mut self) -> Option<&'a str> {
        let taken = self.next;
        self.next = self.rest.map(|rest| match rest.split_once('-') {
            Some((head, tail)) => {
                self.rest = Some(tail);
                head
            }
            None => {
                self.rest = None;
                rest
            }
        });
        taken
    }
}

/// Checks `x-…` private use subtags after the `x`: at least one, each 1 to 8 alphanumerics.
fn check_private_use(mut rest: Subtags<'_>) -> std::result::Result<(), &'static str> {
    let mut count = 0;
    while let Some(subtag) = rest.advance() {
        if subtag.is_empty() || subtag.len() > 8 || !is_alnum(subtag) {
            return Err("a private-use subtag must be 1 to 8 letters or digits");
        }
        count += 1;
    }
    if count == 0 {
        return Err("'x' must be followed by private-use subtags");
    }
    Ok(())
}

fn check_tag(tag: &str) -> std::result::Result<(), &'static str> {
    let mut subtags = Subtags::new(tag);
    let first = subtags.advance().unwrap_or("");
    if first.eq_ignore_ascii_case("x") {
        return check_private_use(subtags);
    }
    let primary_ok =
        matches!(first.len(), 2 | 3 | 5..=8) && first.bytes().all(|b| b.is_ascii_lowercase());
    if !primary_ok {
        return Err("the primary language must be 2-3 or 5-8 lower-case letters");
    }
    // extlang: up to three 3-letter subtags, only after a 2-3 letter language.
    if first.len() <= 3 {
        let mut extlangs = 0;
        while extlangs < 3 && subtags.next_if(|s| s.len() == 3 && is_alpha(s)).is_some() {
            extlangs += 1;
        }
    }
    subtags.next_if(|s| s.len() == 4 && is_alpha(s)); // script
    subtags.next_if(|s| (s.len() == 2 && is_alpha(s)) || (s.len() == 3 && is_digit(s))); // region
    let mut variants: Vec<&str> = Vec::new();
    while let Some(s) = subtags.next_if(is_variant) {
        if variants.iter().any(|v| v.eq_ignore_ascii_case(s)) {
            return Err("a variant subtag is repeated");
        }
        variants.push(s);
    }
    // The singletons seen, lower-cased, as bits from '0'.
    let mut singletons = 0u128;
    while let Some(singleton) =
        subtags.next_if(|s| s.len() == 1 && is_alnum(s) && !s.eq_ignore_ascii_case("x"))
    {
        let lower = singleton
            .bytes()
            .next()
            .unwrap_or(b'0')
            .to_ascii_lowercase();
        let bit = 1u128 << (lower.saturating_sub(b'0') & 127);
        if singletons & bit != 0 {
            return Err("an extension singleton is repeated");
        }
        singletons |= bit;
        let mut count = 0;
        while subtags
            .next_if(|s| (2..=8).contains(&s.len()) && is_alnum(s))
            .is_some()
        {
            count += 1;
        }
        if count == 0 {
            return Err("an extension singleton must be followed by 2-8 character subtags");
        }
    }
    match subtags.advance() {
        None => Ok(()),
        Some(x) if x.eq_ignore_ascii_case("x") => check_private_use(subtags),
        Some(_) => Err("a subtag is out of place or malformed"),
    }
}

/// Checks a BCP 47 language tag.
pub fn ensure_valid_language(s: &str) -> Result<()> {
    if s.len() > MAX_LANGUAGE_LEN {
        return Err(invalid(
            Code::InvalidLanguage,
            "language tag",
            s,
            "longer than 128 characters",
        ));
    }
    if GRANDFATHERED.contains(&s) {
        return Ok(());
    }
    check_tag(s).map_err(|why| invalid(Code::InvalidLanguage, "language tag", s, why))
}

/// Whether `s` is a valid BCP 47 language tag.
pub fn is_valid_language(s: &str) -> bool {
    ensure_valid_language(s).is_ok()
}

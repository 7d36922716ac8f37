//! A whole event stream: per-account continuity on top of the stateless checks.

use super::accounts::{account_key, AccountKey, AccountTable};
use super::frame::{decode_frame, read_envelope, Event, Frame};
use super::verify::{verify_commit, verify_sync, VerifiedCommit};
use crate::cid::{sha256, Cid};
use crate::crypto::PublicKey;
use crate::error::{Code, Error, Result};
use crate::support::memory::out_of_memory;
use crate::syntax::Tid;

/// What a consumer should do with an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Verified, and (for a commit) following the account's last one.
    Valid,
    /// Failed a check: drop it.
    Invalid,
    /// Verified, but `since` or `prevData` do not follow the account's last commit: the consumer
    /// missed something and should resynchronize the account (the state follows the new commit).
    Desync,
    /// Nothing to verify or stale: an `#info`, an unknown type, a commit or sync whose rev is not
    /// above the account's last.
    Ignored,
}

impl Status {
    /// `valid`, `invalid`, `desync` or `ignored`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Invalid => "invalid",
            Status::Desync => "desync",
            Status::Ignored => "ignored",
        }
    }
}

/// The continuity state kept per account: 28 bytes, with a 16-byte key (see docs/firehose.md).
/// Byte arrays and a `u32`, so that the table's entries are not padded to 8-byte alignment.
#[derive(Clone, Copy, Debug)]
struct Account {
    /// The last accepted commit's rev ([`Tid::as_u64`], little-endian).
    rev: [u8; 8],
    /// The first half of the last accepted commit's MST root digest (always a DRISL CID): to make
    /// a `prevData` that passes for it takes a 128-bit second preimage of SHA-256.
    data: DigestHalf,
    /// When the account was last seen, in events processed since `StreamVerifier::seen_base`, for
    /// forgetting the least recent.
    seen: u32,
}

impl Account {
    fn rev(&self) -> Tid {
        Tid::from_u64(u64::from_le_bytes(self.rev))
    }
}

/// The outcome of one event.
#[derive(Clone, Debug)]
pub struct Processed<'a> {
    /// The event's sequence number, if it has one.
    pub seq: Option<i64>,
    /// `#commit`, `#sync`, … (`error` for an error frame, `unknown` for an unknown one).
    pub kind: &'a str,
    /// The account, if the event names one.
    pub did: Option<&'a str>,
    /// What to do with it.
    pub status: Status,
    /// Why it is invalid or desynchronized.
    pub error: Option<Error>,
    /// For a `#commit` that verified: what it holds.
    pub commit: Option<VerifiedCommit<'a>>,
    /// Whether the commit was checked against the account's previous one (false the first time
    /// an account is seen, or after it was forgotten).
    pub continuity: bool,
    /// Whether the sequence number was not above the previous event's.
    pub seq_regression: bool,
}

/// Per-account continuity over a stream of frames: the state a relay or an app view keeps.
///
/// Keys are not resolved here: [`StreamVerifier::process`] takes the account's key when the event
/// needs one, and [`StreamVerifier::needs_key`] tells which account's.
#[derive(Debug)]
pub struct StreamVerifier {
    accounts: AccountTable<Account>,
    max_accounts: usize,
    clock_drift_micros: u64,
    events: u64,
    /// What `Account::seen` counts from: moved on (and every `seen` down) before it would overflow.
    seen_base: u64,
    last_seq: Option<i64>,
    /// Whether a `#commit` without `prevData` (from before sync 1.1) is invalid.
    require_prev_data: bool,
}

type DigestHalf = [u8; 16];

/// What a saved state ([`StreamVerifier::save`]) starts with: its format and version.
const SAVED_MAGIC: &[u8; 8] = b"atpfsv\x00\x01";
/// The saved state's header: the magic, the event count (32 bits), the last seq (64, 0 for none),
/// the number of accounts (32).
const SAVED_HEADER_LEN: usize = 8 + 4 + 8 + 4;
/// One saved account: its table key, rev, data root half, when last seen.
const SAVED_ACCOUNT_LEN: usize = 16 + 8 + 16 + 4;
/// The saved state's end: the first 8 bytes of SHA-256 of what comes before.
const SAVED_CHECK_LEN: usize = 8;

fn digest_half(cid: &Cid) -> DigestHalf {
    let mut half = [0u8; 16];
    half.copy_from_slice(cid.digest().get(..16).unwrap_or(&[0; 16]));
    half
}

impl StreamVerifier {
    /// A verifier that tracks at most `max_accounts` accounts (the least recently seen are
    /// forgotten) and refuses revs more than `clock_drift_micros` in the future.
    pub fn new(max_accounts: usize, clock_drift_micros: u64) -> StreamVerifier {
        StreamVerifier {
            accounts: AccountTable::new(),
            max_accounts: max_accounts.max(1),
            clock_drift_micros,
            events: 0,
            seen_base: 0,
            last_seq: None,
            require_prev_data: false,
        }
    }

    /// Makes a `#commit` without `prevData` invalid (`inversion-incomplete`) instead of valid with
    /// `inverted: false`: for a consumer that accepts only what it can invert (sync 1.1), as a
    /// strict relay does. Off by default.
    pub fn set_require_prev_data(&mut self, required: bool) {
        self.require_prev_data = required;
    }

    /// The number of accounts tracked.
    pub fn accounts(&self) -> usize {
        self.accounts.len()
    }

    /// Makes the account's continuity follow the commit at `rev` with MST root `data` from now on:
    /// its next commit is checked against them. For a repository fetched and verified after a
    /// desync (the state otherwise follows the commit that broke continuity) or when starting,
    /// so that the first commit is checked too. Fails (`limit-exceeded`) when the table cannot
    /// grow; at `max_accounts`, the least recently seen are forgotten first, as for any new account.
    pub fn follow(&mut self, did: &str, rev: Tid, data: Cid) -> Result<()> {
        self.remember(account_key(did), rev, data)
    }

    /// Forgets an account: its next commit is verified without continuity.
    pub fn forget(&mut self, did: &str) {
        self.accounts.remove(&account_key(did));
    }

    /// The `seq` of the last event that was not invalid, if any: where a consumer resumes.
    pub fn last_seq(&self) -> Option<i64> {
        self.last_seq
    }

    /// The continuity state as bytes, for a consumer that restarts
    /// ([`StreamVerifier::restore`]): each tracked account's last rev, MST root (half of its
    /// digest, as kept) and how recently it was seen, and the stream's last `seq`. 44 bytes an
    /// account; no DID is in it (accounts are kept by a hash of theirs). The settings
    /// (`max_accounts`, clock drift, [`StreamVerifier::set_require_prev_data`]) are not part of it.
    /// Fails (`limit-exceeded`) only when the memory for it cannot be had.
    pub fn save(&self) -> Result<Vec<u8>> {
        let count = self.accounts.len();
        let len = SAVED_HEADER_LEN
            .saturating_add(count.saturating_mul(SAVED_ACCOUNT_LEN))
            .saturating_add(SAVED_CHECK_LEN);
        let mut out = Vec::new();
        out.try_reserve_exact(len).map_err(|_| out_of_memory(len))?;
        out.extend_from_slice(SAVED_MAGIC);
        out.extend_from_slice(&self.seen_count().to_le_bytes());
        out.extend_from_slice(&self.last_seq.unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&(count as u32).to_le_bytes());
        for (key, account) in self.accounts.entries() {
            out.extend_from_slice(key);
            out.extend_from_slice(&account.rev);
            out.extend_from_slice(&account.data);
            out.extend_from_slice(&account.seen.to_le_bytes());
        }
        let check = sha256(&out);
        out.extend_from_slice(check.get(..SAVED_CHECK_LEN).unwrap_or_default());
        Ok(out)
    }

    /// Replaces the continuity state with one [`StreamVerifier::save`] wrote (by this verifier or
    /// another, in this process or an earlier one): commits then follow the accounts' saved last
    /// commits, and `seq` regressions the saved last `seq`. Beyond `max_accounts`, the least
    /// recently seen are forgotten. Bytes that are not such a state — another format, cut,
    /// changed (a checksum covers them), a rev that is no TID, an account twice — are refused
    /// (`invalid-saved-state`), and so is a state too large for memory (`limit-exceeded`); either
    /// way the verifier is unchanged.
    pub fn restore(&mut self, saved: &[u8]) -> Result<()> {
        let (Some(body), Some(check)) = (
            saved
                .len()
                .checked_sub(SAVED_CHECK_LEN)
                .and_then(|n| saved.get(..n)),
            saved
                .len()
                .checked_sub(SAVED_CHECK_LEN)
                .and_then(|n| saved.get(n..)),
        ) else {
            return Err(bad_state("the saved state is too short"));
        };
        let Some((header, entries)) = body.split_first_chunk::<SAVED_HEADER_LEN>() else {
            return Err(bad_state("the saved state is too short"));
        };
        let (magic, rest) = header.split_at(SAVED_MAGIC.len());
        if magic != SAVED_MAGIC {
            return Err(bad_state(
                "the bytes are not a state atproof's stream verifier saved (or of another version)",
            ));
        }
        if sha256(body).get(..SAVED_CHECK_LEN) != Some(check) {
            return Err(bad_state(
                "the saved state was changed or cut (its checksum does not match)",
            ));
        }
        // The header's numbers after the magic, little-endian, at fixed offsets (read this way and
        // not through a reader per width: the smaller code, in both wasm builds).
        let word = |at: usize, len: usize| -> [u8; 8] {
            let mut bytes = [0u8; 8];
            if let (Some(to), Some(from)) = (bytes.get_mut(..len), rest.get(at..at + len)) {
                to.copy_from_slice(from);
            }
            bytes
        };
        let seen_count = u64::from_le_bytes(word(0, 4));
        let last_seq = i64::from_le_bytes(word(4, 8));
        let count = u64::from_le_bytes(word(12, 4));
        if !(0..1 << 53).contains(&last_seq) {
            return Err(bad_state("the saved state has a seq out of range"));
        }
        if entries.len() as u64 != count.saturating_mul(SAVED_ACCOUNT_LEN as u64) {
            return Err(bad_state(
                "the saved state does not hold the number of accounts it says",
            ));
        }
        let mut accounts = AccountTable::new();
        for entry in entries.chunks_exact(SAVED_ACCOUNT_LEN) {
            // Each entry is SAVED_ACCOUNT_LEN bytes (chunks_exact): the fallbacks never apply.
            let (key, rest) = entry.split_first_chunk::<16>().unwrap_or((&[0; 16], &[]));
            let (rev, rest) = rest.split_first_chunk::<8>().unwrap_or((&[0; 8], &[]));
            let (data, rest) = rest.split_first_chunk::<16>().unwrap_or((&[0; 16], &[]));
            let seen = rest
                .first_chunk::<4>()
                .map_or(0, |b| u32::from_le_bytes(*b));
            if u64::from_le_bytes(*rev) >> 63 != 0 {
                return Err(bad_state("the saved state has a rev that is no TID"));
            }
            if u64::from(seen) > seen_count {
                return Err(bad_state(
                    "the saved state has an account seen after it was saved",
                ));
            }
            if accounts.contains_key(key) {
                return Err(bad_state("the saved state has an account twice"));
            }
            accounts.insert(
                *key,
                Account {
                    rev: *rev,
                    data: *data,
                    seen,
                },
            )?;
        }
        if let Some(excess) = accounts
            .len()
            .checked_sub(self.max_accounts)
            .filter(|&n| n > 0)
        {
            forget_least_recent(&mut accounts, excess);
        }
        self.accounts = accounts;
        self.events = seen_count;
        self.seen_base = 0;
        self.last_seq = (last_seq > 0).then_some(last_seq);
        Ok(())
    }

    /// The account whose key `frame` needs to be verified (a `#commit` or `#sync`), if any;
    /// errors if the frame does not decode.
    pub fn needs_key(frame: &[u8]) -> Result<Option<String>> {
        Ok(Self::account_needing_key(&decode_frame(frame)?).map(str::to_owned))
    }

    /// The account whose key a decoded frame needs (a `#commit` or `#sync`), if any.
    pub fn account_needing_key<'a>(frame: &Frame<'a>) -> Option<&'a str> {
        match &frame.event {
            Event::Commit(e) => Some(e.repo),
            Event::Sync(e) => Some(e.did),
            _ => None,
        }
    }

    /// Processes one frame at time `now_micros` (since the UNIX epoch) with the account's `key`
    /// (needed for `#commit` and `#sync`: without it they are invalid). The state changes only
    /// for a verified commit or sync, so a frame whose signature failed can be processed again
    /// with a fresh key. A message whose body breaks its type's rules is invalid (see
    /// [`StreamVerifier::refused`]); broken framing or DRISL is an error.
    pub fn process<'a>(
        &mut self,
        frame: &'a [u8],
        key: Option<&PublicKey>,
        now_micros: u64,
    ) -> Result<Processed<'a>> {
        match decode_frame(frame) {
            Ok(decoded) => Ok(self.process_decoded(decoded, key, now_micros)),
            Err(error) => self.refused(frame, error),
        }
    }

    /// The outcome of a frame that [`decode_frame`] refused with `error`. Sound framing and DRISL
    /// around a body that breaks its type's rules (a field of the wrong type or value, a limit) is
    /// an invalid message: `invalid` with that error and the `seq` and account the body names where
    /// they are valid, so that a stream drops it and goes on, as the sync spec asks. Broken framing
    /// or DRISL stays an error: the event-stream spec has the client drop the connection then.
    pub fn refused<'a>(&self, frame: &'a [u8], error: Error) -> Result<Processed<'a>> {
        let Ok(envelope) = read_envelope(frame) else {
            return Err(error);
        };
        Ok(Processed {
            seq: envelope.seq,
            kind: match (envelope.op, envelope.t) {
                (-1, _) => "error",
                (_, Some(t)) => t,
                (_, None) => "unknown",
            },
            did: envelope.did,
            status: Status::Invalid,
            error: Some(error),
            commit: None,
            continuity: false,
            seq_regression: self.is_regression(envelope.seq),
        })
    }

    /// [`StreamVerifier::process`] for a frame decoded already (by a caller that had to look at
    /// it first, say to find the account's key in its own cache).
    pub fn process_decoded<'a>(
        &mut self,
        frame: Frame<'a>,
        key: Option<&PublicKey>,
        now_micros: u64,
    ) -> Processed<'a> {
        let processed = self.process_event(frame, key, now_micros);
        // An invalid event does not move the sequence on: the same frame may come again (with a
        // fresh key) without being reported as a regression.
        if let (Some(seq), false) = (processed.seq, processed.status == Status::Invalid) {
            self.last_seq = Some(self.last_seq.map_or(seq, |last| last.max(seq)));
        }
        processed
    }

    fn process_event<'a>(
        &mut self,
        frame: Frame<'a>,
        key: Option<&PublicKey>,
        now_micros: u64,
    ) -> Processed<'a> {
        self.events += 1;
        let seq = frame.event.seq();
        let seq_regression = self.is_regression(seq);
        let mut out = Processed {
            seq,
            kind: match (frame.op, &frame.event) {
                (-1, _) => "error",
                (_, Event::Unknown) => "unknown",
                _ => frame.t.unwrap_or("unknown"),
            },
            did: frame.event.did(),
            status: Status::Valid,
            error: None,
            commit: None,
            continuity: false,
            seq_regression,
        };
        // The account's table key, hashed once: `did` is a `#commit`'s `repo`, a `#sync`'s `did`.
        let account = frame.event.did().map(account_key);
        if let Some(account) = &account {
            self.touch(account);
        }
        match (frame.event, account) {
            (Event::Commit(event), Some(id)) => {
                let last = self.accounts.get(&id).copied();
                let key = match self.admit(last.as_ref(), event.rev, now_micros, key) {
                    Ok(key) => key,
                    Err((status, error)) => return with_status(out, status, error),
                };
                let verified = match verify_commit(&event, key, None) {
                    Ok(verified) => verified,
                    Err(error) => return invalid(out, error),
                };
                if self.require_prev_data && !verified.inverted {
                    return invalid(
                        out,
                        Error::new(
                            Code::InversionIncomplete,
                            format!(
                                "#commit of {} rev {}: no prevData, so the ops cannot be inverted (a commit from before sync 1.1)",
                                event.repo, event.rev_text
                            ),
                        ),
                    );
                }
                if let Some(last) = last {
                    out.continuity = true;
                    let since_follows =
                        event.since.and_then(|since| Tid::parse(since).ok()) == Some(last.rev());
                    // Without `prevData` (before sync 1.1) only `since` can show a gap; the
                    // commit says `inverted: false`.
                    let data_follows = verified
                        .prev_data
                        .as_ref()
                        .is_none_or(|prev_data| digest_half(prev_data) == last.data);
                    if !since_follows || !data_follows {
                        out.status = Status::Desync;
                        out.error = Some(Error::new(
                            Code::CommitDesync,
                            format!(
                                "#commit of {} rev {}: {} does not follow the last commit (rev {})",
                                event.repo,
                                event.rev_text,
                                if since_follows { "prevData" } else { "since" },
                                last.rev()
                            ),
                        ));
                    }
                }
                if let Err(error) = self.remember(id, event.rev, verified.data) {
                    return invalid(out, error);
                }
                out.commit = Some(verified);
            }
            (Event::Sync(event), Some(id)) => {
                let last = self.accounts.get(&id).copied();
                let key = match self.admit(last.as_ref(), event.rev, now_micros, key) {
                    Ok(key) => key,
                    Err((status, error)) => return with_status(out, status, error),
                };
                let remembered =
                    verify_sync(&event, key).and_then(|v| self.remember(id, event.rev, v.data));
                if let Err(error) = remembered {
                    return invalid(out, error);
                }
            }
            // (A `#commit` or `#sync` always names its account: the first two arms take them.)
            (Event::Commit(_) | Event::Sync(_) | Event::Identity(_) | Event::Account(_), _) => {}
            (Event::Info(_) | Event::Unknown, _) => out.status = Status::Ignored,
            (Event::Error { error, message }, _) => {
                out.status = Status::Invalid;
                out.error = Some(Error::new(
                    Code::StreamError,
                    format!(
                        "the server sent {error}{}",
                        message.map(|m| format!(": {m}")).unwrap_or_default()
                    ),
                ));
            }
        }
        out
    }

    /// Whether `seq` is not above the last valid event's.
    fn is_regression(&self, seq: Option<i64>) -> bool {
        matches!((seq, self.last_seq), (Some(seq), Some(last)) if seq <= last)
    }

    /// What a `#commit` and a `#sync` check before their own checks: a rev not above the account's
    /// last is stale (ignored); one beyond the clock drift, or no key, is invalid.
    fn admit<'k>(
        &self,
        last: Option<&Account>,
        rev: Tid,
        now_micros: u64,
        key: Option<&'k PublicKey>,
    ) -> std::result::Result<&'k PublicKey, (Status, Option<Error>)> {
        if last.is_some_and(|last| rev <= last.rev()) {
            return Err((Status::Ignored, None));
        }
        rev.ensure_not_ahead(now_micros, self.clock_drift_micros)
            .map_err(|error| (Status::Invalid, Some(error)))?;
        key.ok_or_else(|| {
            let error = Error::new(
                Code::DidDocumentNoSigningKey,
                "no signing key for the account (its DID document names none)",
            );
            (Status::Invalid, Some(error))
        })
    }

    /// Records an account's new last commit. When the table is full, the least recently seen
    /// eighth of it is forgotten at once: one eviction for many insertions, not one per insertion.
    /// Fails (`limit-exceeded`) when the table cannot grow: the account is then not remembered.
    fn remember(&mut self, id: AccountKey, rev: Tid, data: Cid) -> Result<()> {
        if !self.accounts.contains_key(&id) && self.accounts.len() >= self.max_accounts {
            let forget = (self.max_accounts / 8).clamp(1, self.accounts.len());
            forget_least_recent(&mut self.accounts, forget);
        }
        let seen = self.seen_now();
        self.accounts.insert(
            id,
            Account {
                rev: rev.as_u64().to_le_bytes(),
                data: digest_half(&data),
                seen,
            },
        )
    }

    /// The current event count as an `Account::seen`. Every 2^31 events the base moves on and
    /// every account's `seen` down with it (accounts not seen since then all become 0: equally
    /// old), so that the count fits in 32 bits.
    fn seen_now(&mut self) -> u32 {
        const HALF: u64 = 1 << 31;
        if self.events - self.seen_base > u64::from(u32::MAX) - 1 {
            self.seen_base += HALF;
            for account in self.accounts.values_mut() {
                account.seen = account.seen.saturating_sub(HALF as u32);
            }
        }
        (self.events - self.seen_base) as u32
    }

    /// The events counted since `seen_base`, as an [`Account::seen`] of now would be (at most
    /// `u32::MAX`; [`StreamVerifier::seen_now`] keeps it below that for every account's `seen`).
    fn seen_count(&self) -> u32 {
        u32::try_from(self.events - self.seen_base).unwrap_or(u32::MAX)
    }

    /// Marks an account as seen now (an event about it arrived).
    fn touch(&mut self, account: &AccountKey) {
        let seen = self.seen_now();
        if let Some(account) = self.accounts.get_mut(account) {
            account.seen = seen;
        }
    }
}

/// Forgets the `count` least recently seen accounts (1 ≤ `count` ≤ their number), and any seen
/// as long ago as the last of them.
fn forget_least_recent(accounts: &mut AccountTable<Account>, count: usize) {
    let threshold = nth_smallest(|| accounts.values().map(|a| a.seen), count);
    accounts.retain(|account| account.seen > threshold);
}

#[cold]
fn bad_state(why: &'static str) -> Error {
    Error::new(Code::InvalidSavedState, why)
}

fn invalid(out: Processed<'_>, error: Error) -> Processed<'_> {
    with_status(out, Status::Invalid, Some(error))
}

fn with_status(mut out: Processed<'_>, status: Status, error: Option<Error>) -> Processed<'_> {
    out.status = status;
    out.error = error;
    out
}

/// The `n`th smallest of the values `values()` yields (1 ≤ `n` ≤ their number): a radix
/// selection, 8 bits a pass from the top, counting the values that share the bits found so far by
/// their next 8 — four passes, no copy of the values, and no selection code in the wasm for the
/// one use (forgetting the least recently seen accounts).
fn nth_smallest<I: Iterator<Item = u32>>(values: impl Fn() -> I, mut n: usize) -> u32 {
    let mut found = 0u32;
    for shift in [24u32, 16, 8, 0] {
        let above = u32::MAX.checked_shl(shift + 8).unwrap_or(0);
        let mut counts = [0usize; 256];
        for value in values().filter(|value| value & above == found) {
            if let Some(count) = counts.get_mut((value >> shift & 0xff) as usize) {
                *count += 1;
            }
        }
        let mut digit = 0;
        for (value, &count) in counts.iter().enumerate() {
            if n <= count {
                digit = value as u32;
                break;
            }
            n -= count;
        }
        found |= digit << shift;
    }
    found
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_full_table_forgets_the_least_recently_seen_eighth() {
        let mut verifier = StreamVerifier::new(16, 0);
        let rev = Tid::from_time(1, 0).unwrap();
        let data = Cid::for_drisl(&[0xa0]);
        for i in 0..16u8 {
            verifier.events += 1;
            verifier.remember([i; 16], rev, data).unwrap();
        }
        assert_eq!(verifier.accounts(), 16);
        verifier.events += 1;
        verifier.remember([99; 16], rev, data).unwrap();
        // 16 / 8 = 2 forgotten (the two seen first, and whatever shares their time), one added.
        assert_eq!(verifier.accounts(), 15);
        assert!(
            !verifier.accounts.contains_key(&[0; 16]) && !verifier.accounts.contains_key(&[1; 16])
        );
        assert!(
            verifier.accounts.contains_key(&[2; 16]) && verifier.accounts.contains_key(&[99; 16])
        );
        // An account the table already holds replaces its entry, forgetting nothing.
        verifier.remember([5; 16], rev, data).unwrap();
        assert_eq!(verifier.accounts(), 15);
    }

    #[test]
    fn the_least_recently_seen_is_forgotten_across_the_32_bit_rebase() {
        let mut verifier = StreamVerifier::new(4, 0);
        let rev = Tid::from_time(1, 0).unwrap();
        let data = Cid::for_drisl(&[0xa0]);
        verifier.events = u64::from(u32::MAX) - 2;
        verifier.remember([1; 16], rev, data).unwrap();
        verifier.events += 1;
        verifier.remember([2; 16], rev, data).unwrap();
        // Past 2^32 events since the base: it moves on, the order stays.
        verifier.events += 10;
        verifier.remember([3; 16], rev, data).unwrap();
        verifier.remember([4; 16], rev, data).unwrap();
        assert!(verifier.seen_base > 0);
        verifier.events += 1;
        verifier.remember([5; 16], rev, data).unwrap();
        let kept: Vec<bool> = (1..=5u8)
            .map(|k| verifier.accounts.contains_key(&[k; 16]))
            .collect();
        assert_eq!(kept, [false, true, true, true, true]);
        assert_eq!(verifier.accounts.get(&[2; 16]).map(Account::rev), Some(rev));
    }

    proptest! {
        #[test]
        fn nth_smallest_is_the_sorted_values_nth(
            values in proptest::collection::vec(
                prop_oneof![any::<u32>(), 0u32..300, (0u32..4).prop_map(|v| v << 30)],
                1..400,
            ),
            pick in any::<usize>(),
        ) {
            let n = pick % values.len() + 1;
            let mut sorted = values.clone();
            sorted.sort_unstable();
            prop_assert_eq!(nth_smallest(|| values.iter().copied(), n), sorted[n - 1]);
        }
    }

    #[test]
    fn an_account_takes_well_under_128_bytes() {
        // The entry (key and state) and hashbrown's control byte; the table holds between 7/16
        // and 7/8 of its buckets (bench/firehose-memory.mjs measures the whole).
        let entry = size_of::<(AccountKey, Account)>() + 1;
        assert!(entry <= 45, "{entry}");
    }
}

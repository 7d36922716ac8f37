//! The event stream (`com.atproto.sync.subscribeRepos`): frames and their verification.
//!
//! - [`decode_frame`]: one WebSocket message is two concatenated DRISL objects, a header `{op, t}`
//!   and a body; the body is typed by `t` with every lexicon field checked. Unknown `op` or `t`
//!   values give [`Event::Unknown`], to be ignored, as the spec asks; bad framing is an error.
//! - [`verify_commit`]: a `#commit` checked on its own, sync 1.1 style.
//! - [`verify_sync`]: a `#sync` checked on its own.
//! - [`StreamVerifier`]: a whole stream, with each account's continuity: a commit whose rev is
//!   not above the account's last is stale (ignored); one whose `since` or `prevData` does not
//!   follow the last is a desync (verified, and the state follows it, as a relay does after a
//!   resync); a rev beyond the clock drift is invalid; a `#sync` resets the account. A message
//!   whose body breaks its type's rules is an invalid event, named by what [`read_envelope`]
//!   reads of it, so that the stream goes on; broken framing or DRISL is an error.
//!
//! Tricky bits:
//! - **Inversion.** A `#commit` carries the new commit, the new records and the MST nodes that
//!   changed (plus, since sync 1.1, the nodes next to inserted or removed keys). Loading the new
//!   root from those blocks gives a partial tree; undoing the operations on it (delete what was
//!   created, put back each update's and delete's `prev`) must rebuild exactly the nodes of the
//!   tree before, whose root must be `prevData`. An undo that needs a node the frame lacks means
//!   the frame is incomplete (`inversion-incomplete`), never a pass.
//! - **`prevData` is not signed.** The inversion proves that the ops lead from `prevData` to the
//!   signed `data`; whether `prevData` is the account's previous root is a continuity question
//!   for a stateful consumer (the previous commit's `data`), which can pass it in.
//! - Ops are undone in reverse order; no path may appear twice, so the order changes nothing but
//!   the messages.

pub(crate) mod accounts;
mod emit;
mod frame;
mod stream;
mod verify;

pub use emit::{encode_commit_frame, encode_sync_frame, CommitFrame, SyncFrame};
pub use frame::{
    decode_frame, read_envelope, AccountEvent, Action, CommitEvent, Envelope, Event, Frame,
    IdentityEvent, InfoEvent, RepoOp, SyncEvent, MAX_COMMIT_BLOCKS, MAX_FRAME_SIZE, MAX_OPS,
    MAX_RECORD_BLOCK, MAX_SYNC_BLOCKS,
};
pub use stream::{Processed, Status, StreamVerifier};
pub use verify::{invert, verify_commit, verify_sync, VerifiedCommit, VerifiedSync};

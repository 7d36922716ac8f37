//! Repository paths: `<collection>/<record key>`.

use crate::error::{Code, Error, Result};
use crate::syntax::identifiers::{record_key_problem, MAX_RECORD_KEY_LEN};
use crate::syntax::quote;
use crate::syntax::{ensure_valid_nsid, ensure_valid_record_key};

/// Checks a repository path: a valid, normalized NSID (its domain authority in lower case), `/`,
/// a valid record key; exactly two segments (`invalid-repo-path`).
///
/// ```
/// use atproof::repo::ensure_valid_repo_path;
/// assert!(ensure_valid_repo_path("app.bsky.feed.post/3k2a4b5c6d7e2").is_ok());
/// assert!(ensure_valid_repo_path("app.bsky.feed.post/a/b").is_err());
/// assert!(ensure_valid_repo_path("App.Bsky.feed.post/self").is_err());
/// ```
pub fn ensure_valid_repo_path(path: &str) -> Result<()> {
    let (collection, rkey) = split_repo_path(path)?;
    check_collection(collection, path)?;
    check_record_key(rkey, path)
}

/// Splits a path at its one `/` into collection and record key, checking nothing else.
pub fn split_repo_path(path: &str) -> Result<(&str, &str)> {
    match path.split_once('/') {
        Some((collection, rkey)) if !rkey.contains('/') => Ok((collection, rkey)),
        _ => Err(invalid(
            path,
            "must be exactly two segments, <collection>/<record key>",
        )),
    }
}

/// `invalid-repo-path` for a path that is not UTF-8.
pub(crate) fn path_not_utf8() -> Error {
    Error::new(
        Code::InvalidRepoPath,
        "repository path is not UTF-8".to_owned(),
    )
}

fn invalid(path: &str, why: &str) -> Error {
    Error::new(
        Code::InvalidRepoPath,
        format!("repository path {}: {why}", quote(path)),
    )
}

/// [`invalid`] for a path given as bytes; one that is not UTF-8 is reported as such.
fn invalid_bytes(path: &[u8], why: &str) -> Error {
    match std::str::from_utf8(path) {
        Ok(path) => invalid(path, why),
        Err(_) => path_not_utf8(),
    }
}

fn check_collection(collection: &str, path: &str) -> Result<()> {
    ensure_valid_nsid(collection).map_err(|e| invalid(path, e.message()))?;
    let authority = collection
        .rsplit_once('.')
        .map_or("", |(authority, _)| authority);
    if authority.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(invalid(
            path,
            "the collection NSID is not normalized (its domain authority must be lower case)",
        ));
    }
    Ok(())
}

fn check_record_key(rkey: &str, path: &str) -> Result<()> {
    ensure_valid_record_key(rkey).map_err(|e| invalid(path, e.message()))
}

/// Checks the paths of a tree walked in key order: keys of one collection come together, so the
/// collection's NSID is checked once per run of keys rather than once per key, and a key that
/// starts with the current collection needs only its record key checked, on its bytes.
#[derive(Debug, Default)]
pub(crate) struct RepoPathChecker {
    collection: String,
}

impl RepoPathChecker {
    /// [`check`](Self::check) for a key already checked as an MST key
    /// ([`ensure_valid_mst_key`](crate::mst::ensure_valid_mst_key)): its bytes are all in
    /// `A-Za-z0-9.-_:~/` with one `/`, so after the current collection and its `/` the record
    /// key's characters are right, and only its length and the names `.` and `..` are left.
    pub(crate) fn check_mst_key(&mut self, key: &[u8]) -> Result<()> {
        let collection = self.collection.as_bytes();
        let shared = crate::mst::common_prefix_len(collection, key);
        match key.get(shared..) {
            Some([b'/', rkey @ ..]) if shared == collection.len() && shared > 0 => {
                if rkey.len() > MAX_RECORD_KEY_LEN || rkey == b"." || rkey == b".." {
                    let why = record_key_problem(rkey).unwrap_or("is not a record key");
                    return Err(invalid_bytes(key, why));
                }
                Ok(())
            }
            _ => self.check(key),
        }
    }

    /// Checks one path.
    pub(crate) fn check(&mut self, key: &[u8]) -> Result<()> {
        let rkey = key
            .strip_prefix(self.collection.as_bytes())
            .and_then(|rest| rest.strip_prefix(b"/"))
            .filter(|_| !self.collection.is_empty());
        if let Some(rkey) = rkey {
            // A '/' in the record key fails the record key's character rule.
            return match record_key_problem(rkey) {
                Some(why) => Err(invalid_bytes(key, why)),
                None => Ok(()),
            };
        }
        let path = std::str::from_utf8(key).map_err(|_| path_not_utf8())?;
        let (collection, rkey) = split_repo_path(path)?;
        check_collection(collection, path)?;
        self.collection.clear();
        self.collection.push_str(collection);
        check_record_key(rkey, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        for good in [
            "app.bsky.feed.post/3k2a",
            "com.example.thing/self",
            "a.b.c/x:y~z",
        ] {
            assert!(ensure_valid_repo_path(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "app.bsky.feed.post",
            "k/00",
            "app.bsky.feed.post/",
            "app.bsky.feed.post/.",
            "/a",
            "Com.Example.thing/x",
            "a.b.c/d/e",
        ] {
            let err = ensure_valid_repo_path(bad).unwrap_err();
            assert_eq!(err.code(), Code::InvalidRepoPath, "{bad}");
        }
        let mut checker = RepoPathChecker::default();
        assert!(checker.check(b"app.bsky.feed.like/1").is_ok());
        assert!(checker.check(b"app.bsky.feed.like/2").is_ok());
        for bad in [
            &b"app.bsky.feed.like/.."[..],
            b"app.bsky.feed.like/a/b",
            b"app.bsky.feed.like/",
            b"app.bsky.feed.like/\xff",
            b"app.bsky.feed.likes/x/y",
            b"k/2",
        ] {
            let err = checker.check(bad).unwrap_err();
            assert_eq!(err.code(), Code::InvalidRepoPath, "{bad:?}");
        }
        let not_utf8 = checker.check(b"app.bsky.feed.like/\xff").unwrap_err();
        assert_eq!(not_utf8.message(), "repository path is not UTF-8");
        let named = checker.check(b"app.bsky.feed.like/..").unwrap_err();
        assert!(named
            .message()
            .starts_with("repository path \"app.bsky.feed.like/..\": "));
        assert!(checker.check(b"app.bsky.feed.likes/x").is_ok());

        // The same answers for keys that are valid MST keys, through the shortcut or not.
        let mut checker = RepoPathChecker::default();
        let long = format!("app.bsky.feed.like/{}", "a".repeat(513));
        for (key, ok) in [
            ("app.bsky.feed.like/1", true),
            ("app.bsky.feed.like/2", true),
            ("app.bsky.feed.like/.", false),
            ("app.bsky.feed.like/..", false),
            ("app.bsky.feed.like/...", true),
            (long.as_str(), false),
            ("app.bsky.feed.like/.a", true),
            ("app.bsky.feed.likes/x", true),
            ("app.bsky.feed.like/3", true),
            ("App.bsky.feed.like/3", false),
            ("app.bsky.feed/3", true),
            ("app.bsky.fee/3", true),
        ] {
            assert!(
                crate::mst::ensure_valid_mst_key(key.as_bytes()).is_ok(),
                "{key}"
            );
            assert_eq!(checker.check_mst_key(key.as_bytes()).is_ok(), ok, "{key}");
            assert_eq!(ensure_valid_repo_path(key).is_ok(), ok, "{key}");
        }
    }
}

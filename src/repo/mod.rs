//! Repositories: commits, verification and export (in progress).

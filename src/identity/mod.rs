//! DID documents.

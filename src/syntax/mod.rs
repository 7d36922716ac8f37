//! atproto string formats: identifiers, datetimes, language tags and TIDs.

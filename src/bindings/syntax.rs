//! Syntax checks, `Tid` and `AtUri` for JavaScript.

use super::{string_arg, tid_js, ObjectBuilder};
use crate::syntax::{self, at_uri, datetime, identifiers, language, tid, uri, TidGenerator};
use crate::{Code, Error};
use wasm_bindgen::prelude::*;

/// Exports `isValidX(s) → boolean` (false for anything that is not a valid string of the format)
/// and `ensureValidX(s)` (throws an `AtproofError` saying why) for one format.
macro_rules! syntax_checks {
    ($($what:literal, $is:ident, $ensure:ident, $check:path, $max:expr, $code:ident;)*) => {$(
        #[doc = concat!("Whether `value` is a valid ", $what, " (false for anything else, a non-string too).")]
        #[allow(non_snake_case)]
        #[wasm_bindgen(js_name = $is)]
        pub fn $is(#[wasm_bindgen(unchecked_param_type = "string")] value: JsValue) -> bool {
            check_syntax(&value, $max, Code::$code, $check).is_ok()
        }

        #[doc = concat!("Checks that `value` is a valid ", $what, "; throws an `AtproofError` saying why not.")]
        #[allow(non_snake_case)]
        #[wasm_bindgen(js_name = $ensure)]
        pub fn $ensure(#[wasm_bindgen(unchecked_param_type = "string")] value: JsValue) -> Result<(), JsValue> {
            Ok(check_syntax(&value, $max, Code::$code, $check)?)
        }
    )*};
}

/// The body of every `isValidX` and `ensureValidX`: `value` read as a string of at most `max`
/// bytes, then checked. Out of line, with the check as a function pointer: inlined into the 22
/// exports, each had its own copy of the string's reading (and some of the check's).
#[inline(never)]
fn check_syntax(
    value: &JsValue,
    max: usize,
    code: Code,
    check: fn(&str) -> crate::Result<()>,
) -> Result<(), Error> {
    check(&string_arg(value, "value", max, code)?)
}

syntax_checks! {
    "TID", isValidTid, ensureValidTid, syntax::ensure_valid_tid, tid::TID_LEN, InvalidTid;
    "record key", isValidRecordKey, ensureValidRecordKey, syntax::ensure_valid_record_key, identifiers::MAX_RECORD_KEY_LEN, InvalidRecordKey;
    "NSID", isValidNsid, ensureValidNsid, syntax::ensure_valid_nsid, identifiers::MAX_NSID_LEN, InvalidNsid;
    "DID", isValidDid, ensureValidDid, syntax::ensure_valid_did, identifiers::MAX_DID_LEN, InvalidDid;
    "handle", isValidHandle, ensureValidHandle, syntax::ensure_valid_handle, identifiers::MAX_HANDLE_LEN, InvalidHandle;
    "AT identifier (a handle or a DID)", isValidAtIdentifier, ensureValidAtIdentifier, syntax::ensure_valid_at_identifier, identifiers::MAX_DID_LEN, InvalidAtIdentifier;
    "AT-URI", isValidAtUri, ensureValidAtUri, syntax::ensure_valid_at_uri, at_uri::MAX_AT_URI_LEN, InvalidAtUri;
    "datetime", isValidDatetime, ensureValidDatetime, syntax::ensure_valid_datetime, datetime::MAX_DATETIME_LEN, InvalidDatetime;
    "language tag", isValidLanguage, ensureValidLanguage, syntax::ensure_valid_language, language::MAX_LANGUAGE_LEN, InvalidLanguage;
    "CID string", isValidCid, ensureValidCid, syntax::ensure_valid_cid_syntax, 256, InvalidCid;
    "URI", isValidUri, ensureValidUri, syntax::ensure_valid_uri, uri::MAX_URI_LEN, InvalidUri;
}

#[wasm_bindgen(typescript_custom_section)]
const TID_PARTS: &str = r#"
/** The fields of a TID. */
export interface TidParts {
  /** Microseconds since the UNIX epoch (an exact integer below 2^53). */
  micros: number;
  /** The 10-bit clock identifier, 0 to 1023. */
  clockId: number;
  /** The timestamp as a Date (millisecond precision). */
  date: Date;
}
"#;

/// Timestamp identifiers: `Tid.now()`, `Tid.fromTime(micros, clockId)`, `Tid.parse(s)`.
#[wasm_bindgen(js_name = Tid)]
pub struct Tid;

/// A whole number from 0 to `max`, given as a number or a bigint.
fn whole_number(value: &JsValue, what: &str, max: u64) -> Result<u64, Error> {
    let out_of_range = || {
        Error::formatted(
            Code::InvalidArgument,
            format_args!("{what} must be a whole number from 0 to {max}"),
        )
    };
    let n = if value.is_bigint() {
        u64::try_from(value.clone()).map_err(|_| out_of_range())?
    } else {
        let n = value.as_f64().ok_or_else(|| {
            Error::formatted(
                Code::InvalidArgument,
                format_args!("{what} must be a number or a bigint"),
            )
        })?;
        if n.fract() != 0.0 || !(0.0..=max as f64).contains(&n) {
            return Err(out_of_range());
        }
        n as u64
    };
    if n > max {
        return Err(out_of_range());
    }
    Ok(n)
}

/// A new TID from the process-wide generator.
pub(super) fn tid_now() -> Result<syntax::Tid, Error> {
    // performance.timeOrigin + performance.now() gives sub-millisecond time where the runtime
    // allows it; Date.now() is the fallback, padded ×1000 as the spec advises. Either way the
    // generator keeps successive TIDs strictly increasing.
    let millis = performance_now().unwrap_or_else(js_sys::Date::now);
    let micros = (millis * 1000.0) as u64;
    TidGenerator::global()?.next(micros)
}

#[wasm_bindgen(js_class = Tid)]
impl Tid {
    /// A new TID, strictly greater than every TID this process made before.
    #[wasm_bindgen(unchecked_return_type = "string")]
    pub fn now() -> Result<JsValue, JsValue> {
        Ok(tid_js(tid_now()?))
    }

    /// The TID of `micros` µs since the epoch with clock id `clockId` (0–1023).
    #[wasm_bindgen(js_name = fromTime, unchecked_return_type = "string")]
    pub fn from_time(
        #[wasm_bindgen(unchecked_param_type = "number | bigint")] micros: JsValue,
        #[wasm_bindgen(js_name = clockId, unchecked_param_type = "number")] clock_id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let micros = whole_number(&micros, "micros", tid::MAX_MICROS)?;
        let clock_id = whole_number(&clock_id, "clockId", u64::from(tid::MAX_CLOCK_ID))?;
        Ok(tid_js(syntax::Tid::from_time(micros, clock_id as u16)?))
    }

    /// The timestamp and clock id of a TID string.
    #[wasm_bindgen(unchecked_return_type = "TidParts")]
    pub fn parse(
        #[wasm_bindgen(unchecked_param_type = "string")] value: JsValue,
    ) -> Result<JsValue, JsValue> {
        let s = string_arg(&value, "TID", tid::TID_LEN, Code::InvalidTid)?;
        let parsed = syntax::Tid::parse(&s)?;
        let micros = parsed.micros() as f64;
        let mut parts = ObjectBuilder::new();
        parts.set("micros", micros.into());
        parts.set("clockId", f64::from(parsed.clock_id()).into());
        parts.set(
            "date",
            js_sys::Date::new(&(micros / 1000.0).floor().into()).into(),
        );
        parts.finish()
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now, catch)]
    fn js_performance_now() -> Result<f64, JsValue>;
}

thread_local! {
    /// `performance.timeOrigin`, read once (None where the runtime has no `performance`).
    static TIME_ORIGIN: Option<f64> = js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .and_then(|performance| js_sys::Reflect::get(&performance, &"timeOrigin".into()))
        .ok()
        .and_then(|origin| origin.as_f64());
}

/// `performance.timeOrigin + performance.now()` in milliseconds, where the runtime has them.
fn performance_now() -> Option<f64> {
    let origin = TIME_ORIGIN.with(|origin| *origin)?;
    Some(origin + js_performance_now().ok()?)
}

/// A parsed, normalized AT-URI (`at://authority[/collection[/rkey]]`).
#[wasm_bindgen(js_name = AtUri)]
pub struct AtUri(syntax::AtUri);

#[wasm_bindgen(js_class = AtUri)]
impl AtUri {
    /// Parses and normalizes an AT-URI (lower-cases a handle and the NSID's domain authority).
    pub fn parse(
        #[wasm_bindgen(unchecked_param_type = "string")] value: JsValue,
    ) -> Result<AtUri, JsValue> {
        let s = string_arg(&value, "AT-URI", at_uri::MAX_AT_URI_LEN, Code::InvalidAtUri)?;
        Ok(AtUri(syntax::AtUri::parse(&s)?))
    }

    /// The DID or handle.
    #[wasm_bindgen(getter, unchecked_return_type = "string")]
    pub fn authority(&self) -> JsValue {
        self.0.authority().into()
    }

    /// The collection NSID, or undefined.
    #[wasm_bindgen(getter, unchecked_return_type = "string | undefined")]
    pub fn collection(&self) -> JsValue {
        str_or_undefined(self.0.collection())
    }

    /// The record key, or undefined.
    #[wasm_bindgen(getter, unchecked_return_type = "string | undefined")]
    pub fn rkey(&self) -> JsValue {
        str_or_undefined(self.0.rkey())
    }

    /// The normalized URI string.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_js_string(&self) -> String {
        self.0.to_string()
    }

    /// `JSON.stringify` gives the URI string.
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> String {
        self.0.to_string()
    }
}

/// A string part of an AT-URI as a JS string, or undefined. The getters hand JS strings over
/// (`JsValue`) rather than `String`s: no copy in wasm memory first (as `cid_js`).
fn str_or_undefined(part: Option<&str>) -> JsValue {
    part.map_or(JsValue::UNDEFINED, JsValue::from_str)
}

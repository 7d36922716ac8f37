//! JSON text (RFC 8259) read into a small tree, and written back: what atproof needs of JSON for
//! atproto JSON records, DID documents and did:plc audit logs.
//!
//! Why not serde_json: these three read JSON into a generic tree and then check its shape, which is
//! all of what serde_json's `Value` does, and its generic deserializer, float parsing and
//! `BTreeMap` cost about 20 KB of wasm in each build of the package (docs/dependencies.md). The
//! reader is held to serde_json by the `json` fuzz target and the tests below.
//!
//! The tricky bits:
//! - **Strict grammar.** No trailing commas, comments, single quotes, leading zeros, `+`, `NaN`,
//!   byte order mark or control characters in strings; whitespace is space, tab, CR and LF only;
//!   nothing may follow the value. A `\u` escape of a surrogate must be a high one followed by a
//!   low one (a Rust string cannot hold a lone surrogate; `JSON.parse` would keep it).
//! - **Numbers are kept as written.** Nothing here turns them into floats: atproto allows only
//!   integers, which [`exact_integer`] reads exactly from the digits (`1e3` and `5.0` are
//!   integers; `1.5` and `1.0000000000000000001` are not), and a DID document or an audit log has
//!   no numbers atproof reads. So a number of any magnitude is valid JSON here (serde_json refuses
//!   one beyond a float's range).
//! - **Duplicate keys: the last one wins**, as in `JSON.parse` (and serde_json). An object read
//!   from text has its keys sorted by their bytes, duplicates dropped in one sort — never a search
//!   per key, which a hostile object of 100,000 keys would make quadratic. Objects built for output
//!   keep the order they were built in.
//! - **Depth.** Arrays and objects nest at most [`MAX_DEPTH`] deep: the reader recurses, and wasm's
//!   stack is small.

use std::cmp::Ordering;
use std::fmt;

use crate::support::sort::sort_by;

/// Largest integer magnitude JSON carries exactly (`Number.MAX_SAFE_INTEGER`).
pub(crate) const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// How deep arrays and objects may nest (serde_json's limit).
pub(crate) const MAX_DEPTH: usize = 128;

/// A JSON value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written (its grammar checked).
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object.
    Object(Object),
}

/// A JSON object's entries (see the module documentation for their order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Object(Vec<(String, Json)>);

/// Why a text is not JSON, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParseError {
    what: &'static str,
    offset: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.what, self.offset)
    }
}

/// What [`exact_integer`] finds in a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Integer {
    /// An integer within ±(2^53−1), the range a JavaScript number holds exactly.
    Safe(i64),
    /// An integer beyond that range.
    OutOfRange,
    /// A number with a fractional part.
    Fraction,
}

/// Reads JSON text.
pub(crate) fn parse(text: &str) -> Result<Json, ParseError> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        text,
        at: 0,
    };
    let value = reader.value(0)?;
    reader.skip_whitespace();
    if reader.at < reader.bytes.len() {
        return Err(reader.error("trailing characters after the value"));
    }
    Ok(value)
}

impl Json {
    /// An array of these strings.
    pub(crate) fn strings(items: &[String]) -> Json {
        Json::Array(items.iter().map(Json::from).collect())
    }

    /// The string, if this is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub(crate) fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The entries, if this is an object.
    pub(crate) fn as_object(&self) -> Option<&Object> {
        match self {
            Json::Object(object) => Some(object),
            _ => None,
        }
    }

    /// The value of `key`, if this is an object that has it.
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        self.as_object()?.get(key)
    }

    /// Compact JSON text.
    pub(crate) fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(text) => out.push_str(text),
            Json::String(s) => write_string(s, out),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(object) => {
                out.push('{');
                for (i, (key, item)) in object.0.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, out);
                    out.push(':');
                    item.write(out);
                }
                out.push('}');
            }
        }
    }
}

impl Object {
    /// An object of these entries, in this order (keys must differ: nothing checks it).
    pub(crate) fn from_entries(entries: Vec<(String, Json)>) -> Object {
        Object(entries)
    }

    /// Adds an entry at the end (its key must be new: nothing checks it).
    pub(crate) fn push(&mut self, key: impl Into<String>, value: impl Into<Json>) {
        self.0.push((key.into(), value.into()));
    }

    /// The value of `key`.
    // Out of line: inlined at each of a dozen lookups of fixed names (DID documents, did:plc), it
    // was a search loop each time (size: docs/performance.md, "wasm size").
    #[inline(never)]
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether the object has `key`.
    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// How many entries it has.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The keys.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    /// The entries.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&String, &Json)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The entries, by value.
    pub(crate) fn into_entries(self) -> Vec<(String, Json)> {
        self.0
    }
}

impl From<&str> for Json {
    #[inline(never)]
    fn from(s: &str) -> Json {
        Json::String(s.to_owned())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Json {
        Json::String(s)
    }
}

impl From<&String> for Json {
    #[inline(never)]
    fn from(s: &String) -> Json {
        Json::String(s.clone())
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Json {
        Json::Bool(b)
    }
}

impl From<i64> for Json {
    #[inline(never)]
    fn from(n: i64) -> Json {
        Json::Number(n.to_string())
    }
}

impl From<usize> for Json {
    #[inline(never)]
    fn from(n: usize) -> Json {
        Json::Number(n.to_string())
    }
}

impl From<Object> for Json {
    fn from(object: Object) -> Json {
        Json::Object(object)
    }
}

impl From<Vec<Json>> for Json {
    fn from(items: Vec<Json>) -> Json {
        Json::Array(items)
    }
}

impl<T: Into<Json>> From<Option<T>> for Json {
    fn from(value: Option<T>) -> Json {
        value.map_or(Json::Null, Into::into)
    }
}

/// A key of [`json_object!`], owned. Out of line, as are the string and number conversions of
/// `Json::from`: inlined, each key and value was an allocation and a copy at every entry of every
/// object the bindings build (size: docs/performance.md, "wasm size").
#[inline(never)]
pub(crate) fn key(name: &str) -> String {
    name.to_owned()
}

/// An object of `"key": value` entries, in that order; each value goes through `Json::from`.
macro_rules! json_object {
    ($($key:literal : $value:expr),* $(,)?) => {
        $crate::support::json::Json::Object($crate::support::json::Object::from_entries(vec![
            $(($crate::support::json::key($key), $crate::support::json::Json::from($value))),*
        ]))
    };
}
pub(crate) use json_object;

/// A JSON string: `"` and `\` escaped, control characters as `\uXXXX` (or their short forms).
pub(crate) fn write_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let low = usize::from(c as u8 & 0xf);
                out.push_str(if u32::from(c) < 0x10 {
                    "\\u000"
                } else {
                    "\\u001"
                });
                out.extend(HEX.get(low).map(|&h| char::from(h)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The exact value of a number's text (already checked against the grammar), as an integer if it
/// is one. Decimal arithmetic on the digits, no floats: `d₁d₂…dₖ × 10^e` with the trailing zeros
/// of the digits moved into `e` is an integer exactly when `e ≥ 0` (or the digits are all zeros).
pub(crate) fn exact_integer(text: &str) -> Integer {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (
            unsigned.get(..at).unwrap_or(""),
            unsigned.get(at + 1..).unwrap_or(""),
        ),
        None => (unsigned, ""),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // The exponent, saturated far beyond anything that can still be a safe integer.
    let (exponent_negative, exponent_digits) = match exponent.as_bytes().first() {
        Some(b'-') => (true, exponent.get(1..).unwrap_or("")),
        Some(b'+') => (false, exponent.get(1..).unwrap_or("")),
        _ => (false, exponent),
    };
    let mut scale: i64 = 0;
    for digit in exponent_digits.bytes() {
        scale = (scale * 10 + i64::from(digit - b'0')).min(1 << 40);
    }
    if exponent_negative {
        scale = -scale;
    }
    // The significant digits: leading zeros dropped, trailing zeros moved into the scale.
    let digits = whole.bytes().chain(fraction.bytes());
    let mut significant: Vec<u8> = digits.skip_while(|&d| d == b'0').collect();
    scale -= fraction.len() as i64;
    while significant.last() == Some(&b'0') {
        significant.pop();
        scale += 1;
    }
    if significant.is_empty() {
        return Integer::Safe(0);
    }
    if scale < 0 {
        return Integer::Fraction;
    }
    // 2^53 − 1 has 16 digits: more than that is out of range.
    if significant.len() as i64 + scale > 16 {
        return Integer::OutOfRange;
    }
    let mut magnitude: u64 = 0;
    for digit in significant {
        magnitude = magnitude * 10 + u64::from(digit - b'0');
    }
    for _ in 0..scale {
        magnitude *= 10;
    }
    if magnitude > MAX_SAFE_INTEGER as u64 {
        return Integer::OutOfRange;
    }
    // At most 2^53 − 1: fits an i64 either way.
    let magnitude = magnitude as i64;
    Integer::Safe(if negative { -magnitude } else { magnitude })
}

struct Reader<'a> {
    bytes: &'a [u8],
    text: &'a str,
    at: usize,
}

impl Reader<'_> {
    fn error(&self, what: &'static str) -> ParseError {
        ParseError {
            what,
            offset: self.at,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Consumes `byte` after any whitespace, or fails with `what`.
    fn expect(&mut self, byte: u8, what: &'static str) -> Result<(), ParseError> {
        self.skip_whitespace();
        if self.peek() != Some(byte) {
            return Err(self.error(what));
        }
        self.at += 1;
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<Json, ParseError> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("the text ends where a value should be")),
        }
    }

    fn literal(&mut self, word: &'static str, value: Json) -> Result<Json, ParseError> {
        if !self
            .bytes
            .get(self.at..)
            .unwrap_or(&[])
            .starts_with(word.as_bytes())
        {
            return Err(self.error("expected a value"));
        }
        self.at += word.len();
        Ok(value)
    }

    /// Enters an array or object (its opening byte not yet consumed).
    fn enter(&mut self, depth: usize) -> Result<usize, ParseError> {
        if depth >= MAX_DEPTH {
            return Err(self.error("arrays and objects nested more than 128 deep"));
        }
        self.at += 1;
        Ok(depth + 1)
    }

    /// Whether the container ends here (consuming `close`); otherwise requires a `,` unless this
    /// is its first item. (After a `,` the next item must follow: `[1,]` fails where the value
    /// should be.)
    fn next_item(&mut self, close: u8, first: bool) -> Result<bool, ParseError> {
        self.skip_whitespace();
        if self.peek() == Some(close) {
            self.at += 1;
            return Ok(true);
        }
        if !first {
            self.expect(b',', "expected `,` or the end of the container")?;
        }
        Ok(false)
    }

    fn array(&mut self, depth: usize) -> Result<Json, ParseError> {
        let depth = self.enter(depth)?;
        let mut items = Vec::new();
        while !self.next_item(b']', items.is_empty())? {
            items.push(self.value(depth)?);
        }
        Ok(Json::Array(items))
    }

    fn object(&mut self, depth: usize) -> Result<Json, ParseError> {
        let depth = self.enter(depth)?;
        let mut entries: Vec<(String, Json)> = Vec::new();
        while !self.next_item(b'}', entries.is_empty())? {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.string()?;
            self.expect(b':', "expected `:` after the key")?;
            entries.push((key, self.value(depth)?));
        }
        let entries =
            sorted_last_wins(entries).map_err(|_| self.error("an object too large to sort"))?;
        Ok(Json::Object(Object(entries)))
    }

    /// A string (at its opening quote).
    fn string(&mut self) -> Result<String, ParseError> {
        self.at += 1;
        let mut out = String::new();
        let mut run_start = self.at;
        loop {
            match self.peek() {
                None => return Err(self.error("the text ends inside a string")),
                Some(b'"') => {
                    out.push_str(self.text.get(run_start..self.at).unwrap_or(""));
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(self.text.get(run_start..self.at).unwrap_or(""));
                    self.at += 1;
                    out.push(self.escape()?);
                    run_start = self.at;
                }
                Some(0..=0x1f) => return Err(self.error("a control character in a string")),
                Some(_) => self.at += 1,
            }
        }
    }

    /// The character of an escape (after its backslash).
    fn escape(&mut self) -> Result<char, ParseError> {
        let Some(letter) = self.peek() else {
            return Err(self.error("the text ends inside a string"));
        };
        self.at += 1;
        Ok(match letter {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                let code = match first {
                    0xd800..=0xdbff => {
                        if self.bytes.get(self.at..self.at + 2) != Some(b"\\u") {
                            return Err(self.error("a high surrogate escape without its low one"));
                        }
                        self.at += 2;
                        let second = self.hex4()?;
                        if !(0xdc00..=0xdfff).contains(&second) {
                            return Err(self.error("a high surrogate escape without its low one"));
                        }
                        0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
                    }
                    0xdc00..=0xdfff => {
                        return Err(self.error("a low surrogate escape without a high one"))
                    }
                    code => code,
                };
                char::from_u32(code).ok_or_else(|| self.error("an invalid \\u escape"))?
            }
            _ => {
                self.at -= 1;
                return Err(self.error("an invalid escape"));
            }
        })
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| self.error("a \\u escape needs four hex digits"))?;
            code = code * 16 + digit;
            self.at += 1;
        }
        Ok(code)
    }

    /// A number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<Json, ParseError> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.at += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.error("a number with a leading zero"));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("a number needs a digit")),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.required_digits("a number needs a digit after `.`")?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            self.required_digits("a number needs a digit in its exponent")?;
        }
        let text = self.text.get(start..self.at).unwrap_or("");
        Ok(Json::Number(text.to_owned()))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
    }

    fn required_digits(&mut self, what: &'static str) -> Result<(), ParseError> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.error(what));
        }
        self.digits();
        Ok(())
    }
}

/// An object's entries sorted by key, of each duplicated key only the last. Fails only when the
/// sort cannot allocate its positions.
fn sorted_last_wins(mut entries: Vec<(String, Json)>) -> crate::Result<Vec<(String, Json)>> {
    let by_key = |a: &(String, Json), b: &(String, Json)| a.0.as_bytes().cmp(b.0.as_bytes());
    if entries
        .windows(2)
        .all(|pair| matches!(pair, [a, b] if by_key(a, b) == Ordering::Less))
    {
        return Ok(entries);
    }
    // The sort is stable: among equal keys the last read stays last, and `dedup_by` keeps the
    // first of a run, so each later one moves its entry into the kept place before it goes.
    sort_by(&mut entries, by_key)?;
    entries.dedup_by(|later, kept| {
        let duplicate = later.0 == kept.0;
        if duplicate {
            std::mem::swap(later, kept);
        }
        duplicate
    });
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Json {
        parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    #[test]
    fn reads_what_serde_json_reads() {
        for text in [
            "null",
            " true ",
            "false",
            "0",
            "-0",
            "123.5e-7",
            "1E+2",
            "\"\"",
            r#""a\"b\\c\/d\b\f\n\r\t\u00e9\ud83e\udd8b\u0000""#,
            "[]",
            "[1, [2, [3]], {}]",
            r#"{"b": 1, "a": [null], "c": {"d": "e"}}"#,
            r#"{"k": 1, "k": 2, "j": 0, "k": 3}"#,
            "\t\r\n [ \"é 日本語 🦋\" ] \n",
        ] {
            let ours = ok(text);
            let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&ours.to_text()).unwrap(),
                theirs,
                "{text}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_json() {
        for text in [
            "",
            " ",
            "nul",
            "True",
            "01",
            "-",
            "1.",
            ".5",
            "1e",
            "1e+",
            "+1",
            "NaN",
            "[1,]",
            "[,1]",
            "{\"a\":1,}",
            "{,}",
            "[1 2]",
            "{\"a\" 1}",
            "{a:1}",
            "{\"a\":}",
            "'a'",
            "\"a",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\ud800\"",
            "\"\\ud800\\u0041\"",
            "\"\\udc00\"",
            "\"tab\there\"",
            "[1] [2]",
            "\u{feff}1",
            "[] // comment",
        ] {
            assert!(parse(text).is_err(), "{text:?} parsed");
            assert!(serde_json::from_str::<serde_json::Value>(text).is_err());
        }
    }

    #[test]
    fn duplicate_keys_the_last_wins_and_keys_are_sorted() {
        let json = ok(r#"{"k": 1, "b": true, "k": 2, "a": null, "k": 3}"#);
        assert_eq!(json.to_text(), r#"{"a":null,"b":true,"k":3}"#);
    }

    #[test]
    fn depth_is_limited() {
        let deep = |n: usize| "[".repeat(n) + &"]".repeat(n);
        assert!(parse(&deep(MAX_DEPTH)).is_ok());
        assert_eq!(
            parse(&deep(MAX_DEPTH + 1)).unwrap_err().offset,
            MAX_DEPTH,
            "the error is at the bracket too many"
        );
    }

    #[test]
    fn integers_exactly() {
        let n = |text: &str| {
            assert!(matches!(ok(text), Json::Number(_)));
            exact_integer(text)
        };
        let safe = (1i64 << 53) - 1;
        assert_eq!(n("123"), Integer::Safe(123));
        assert_eq!(n("123.0"), Integer::Safe(123));
        assert_eq!(n("-0.0"), Integer::Safe(0));
        assert_eq!(n("0e-99999999999999999999999"), Integer::Safe(0));
        assert_eq!(n("1e3"), Integer::Safe(1000));
        assert_eq!(n("1.5e1"), Integer::Safe(15));
        assert_eq!(n("1500e-2"), Integer::Safe(15));
        assert_eq!(n("9007199254740991"), Integer::Safe(safe));
        assert_eq!(n("-9007199254740991"), Integer::Safe(-safe));
        assert_eq!(n("90071992547409.91e2"), Integer::Safe(safe));
        assert_eq!(n("9007199254740992"), Integer::OutOfRange);
        assert_eq!(n("-9223372036854775808"), Integer::OutOfRange);
        assert_eq!(n("18446744073709551615"), Integer::OutOfRange);
        assert_eq!(n("1e300"), Integer::OutOfRange);
        assert_eq!(n("1e99999999999999999999999"), Integer::OutOfRange);
        assert_eq!(n("123.456"), Integer::Fraction);
        assert_eq!(n("1.0000000000000000001"), Integer::Fraction);
        assert_eq!(n("15e-1"), Integer::Fraction);
        assert_eq!(n("1e-99999999999999999999999"), Integer::Fraction);
    }

    #[test]
    fn writes_strings_as_serde_json_does() {
        let text = "quote \" backslash \\ newline \n tab \t cr \r \u{0}\u{1f}\u{7f}\u{2028} é 🦋";
        let mut out = String::new();
        write_string(text, &mut out);
        assert_eq!(out, serde_json::Value::from(text).to_string());
    }
}

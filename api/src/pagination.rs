//! Keyset pagination: `limit` (1 to 200, default 50) and an opaque `cursor` that encodes the
//! sort key of the last item of the previous page. No list endpoint returns an unbounded list.

use base64::Engine;
use hms_api_types::page::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

use crate::validate::Check;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Validates `limit`, adding a field error when it is out of range.
pub fn limit(check: &mut Check, limit: Option<i64>) -> i64 {
    match limit {
        None => DEFAULT_PAGE_SIZE,
        Some(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
        Some(_) => {
            check.fail("limit", format!("must be between 1 and {MAX_PAGE_SIZE}"));
            DEFAULT_PAGE_SIZE
        }
    }
}

/// Encodes a sort key as an opaque cursor.
pub fn encode(key: &str) -> String {
    B64.encode(key.as_bytes())
}

/// Decodes a cursor from [`encode`], adding a field error when it is not one.
pub fn decode(check: &mut Check, cursor: Option<&str>) -> Option<String> {
    let cursor = cursor?;
    match B64
        .decode(cursor.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|s| !s.contains('\0'))
    {
        Some(key) => Some(key),
        None => {
            check.fail("cursor", "is not a cursor returned by this list");
            None
        }
    }
}

/// Splits one extra fetched row off `rows` to tell whether another page exists, and returns
/// the cursor for it.
pub fn next_cursor<T>(rows: &mut Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Option<String> {
    if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|last| encode(&key(last)))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips() {
        let mut check = Check::new();

        let key = decode(&mut check, Some(&encode("nurse@demo.hms")));

        assert_eq!(key.as_deref(), Some("nurse@demo.hms"));
        assert!(check.finish().is_ok());
    }

    #[test]
    fn a_forged_cursor_is_a_field_error() {
        let mut check = Check::new();

        decode(&mut check, Some("!!not base64!!"));

        assert!(check.finish().is_err());
    }

    #[test]
    fn the_extra_row_becomes_the_next_cursor() {
        let mut rows = vec!["a", "b", "c"];

        let next = next_cursor(&mut rows, 2, |s| s.to_string());

        assert_eq!(rows, ["a", "b"]);
        assert_eq!(next, Some(encode("b")));
    }

    #[test]
    fn limits_outside_one_to_two_hundred_are_rejected() {
        let mut check = Check::new();
        assert_eq!(limit(&mut check, Some(200)), 200);
        assert!(check.finish().is_ok());

        limit(&mut check, Some(201));
        assert!(check.finish().is_err());
    }
}

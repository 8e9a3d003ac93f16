//! FHIR search parameters: parsing, the lenient/strict handling of unknown parameters, date
//! prefixes, references, `_count` and the opaque paging cursor, and the searchset Bundle with
//! its absolute `self`/`next`/`previous`/`first` links.

use actix_web::http::header;
use actix_web::HttpRequest;
use base64::Engine;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use uuid::Uuid;

use super::model::{Bundle, BundleEntry, BundleLink, EntrySearch, OperationOutcome, Resource};
use super::outcome::warning;
use crate::error::ApiError;

/// `_count` when none is given, and the largest accepted.
pub const DEFAULT_COUNT: i64 = 20;
pub const MAX_COUNT: i64 = 100;
/// How many earlier page starts a cursor remembers (for `previous` links).
const CURSOR_HISTORY: usize = 20;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Parameters every search accepts besides its own.
const GLOBAL: [&str; 3] = ["_format", "_count", "_cursor"];

/// Where a page starts: the domain list's own cursor (`None` = its beginning) and, for
/// resources of which one domain entry makes several (Observation), how many to skip.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Start {
    pub inner: Option<String>,
    pub skip: usize,
}

impl Start {
    fn encode(&self) -> String {
        format!("{}|{}", self.skip, self.inner.as_deref().unwrap_or(""))
    }

    fn decode(s: &str) -> Option<Start> {
        let (skip, inner) = s.split_once('|')?;
        Some(Start {
            skip: skip.parse().ok()?,
            inner: (!inner.is_empty()).then(|| inner.to_owned()),
        })
    }
}

/// A parsed search request.
pub struct SearchRequest {
    /// The resource's own parameters (name, value), in request order.
    params: Vec<(String, String)>,
    pub count: i64,
    /// The starts of the pages before this one (oldest first) and whether older ones were
    /// forgotten.
    history: Vec<Start>,
    truncated: bool,
    pub start: Start,
    pub warnings: Vec<String>,
    base: String,
    kind: &'static str,
}

/// The request's query pairs. A malformed query string is a 400.
pub fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ApiError> {
    actix_web::web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .map_err(|e| ApiError::BadRequest(format!("invalid query string: {e}")))
}

/// Checks `_format`: only JSON is served.
pub fn check_format(pairs: &[(String, String)]) -> Result<(), ApiError> {
    for (k, v) in pairs {
        if k == "_format"
            && !matches!(
                v.as_str(),
                "json" | "application/json" | "application/fhir+json"
            )
        {
            return Err(ApiError::BadRequest(
                "_format: only json (application/fhir+json) is supported".into(),
            ));
        }
    }
    Ok(())
}

/// The absolute base of the FHIR API from the request's scheme and host.
pub fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}/fhir/R4", info.scheme(), info.host())
}

fn strict(req: &HttpRequest) -> bool {
    req.headers()
        .get_all("prefer")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split([',', ';']))
        .any(|p| p.trim().eq_ignore_ascii_case("handling=strict"))
}

impl SearchRequest {
    /// Parses the query of a search on `kind` whose own parameters are `known`. Unknown
    /// parameters are ignored with a warning, or a 400 under `Prefer: handling=strict`.
    pub fn parse(
        req: &HttpRequest,
        kind: &'static str,
        known: &[&str],
    ) -> Result<SearchRequest, ApiError> {
        let pairs = query_pairs(req)?;
        check_format(&pairs)?;
        let strict = strict(req);
        let mut params = Vec::new();
        let mut warnings = Vec::new();
        let mut count = None;
        let mut cursor = None;
        for (name, value) in pairs {
            match name.as_str() {
                "_count" => {
                    let n = value.trim().parse::<i64>().ok().filter(|n| *n >= 0);
                    match n {
                        Some(n) => count = Some(n.clamp(1, MAX_COUNT)),
                        None => {
                            return Err(ApiError::BadRequest(format!(
                                "_count must be a whole number from 1 to {MAX_COUNT}"
                            )))
                        }
                    }
                }
                "_cursor" => cursor = Some(value),
                n if GLOBAL.contains(&n) => {}
                n if known.contains(&n) => params.push((name, value)),
                _ if strict => {
                    return Err(ApiError::BadRequest(format!(
                        "unknown or unsupported search parameter `{name}` for {kind}"
                    )))
                }
                _ => warnings.push(format!(
                    "the search parameter `{name}` is not supported for {kind} and was ignored"
                )),
            }
        }
        let (mut history, truncated) = match cursor {
            None => (Vec::new(), false),
            Some(c) => decode_cursor(&c)?,
        };
        let start = history.pop().unwrap_or_default();
        Ok(SearchRequest {
            params,
            count: count.unwrap_or(DEFAULT_COUNT),
            history,
            truncated,
            start,
            warnings,
            base: base_url(req),
            kind,
        })
    }

    /// Every value of `name` (a parameter may be repeated).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.params
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value of `name`; a repeated one is a 400. Comma-separated lists are not supported.
    pub fn one(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.all(name).as_slice() {
            [] => Ok(None),
            [v] if v.contains(',') => Err(ApiError::BadRequest(format!(
                "{name}: several values (a comma-separated list) are not supported"
            ))),
            [v] if v.trim().is_empty() => Err(ApiError::BadRequest(format!(
                "{name}: the value must not be empty"
            ))),
            [v] => Ok(Some(v)),
            _ => Err(ApiError::BadRequest(format!(
                "{name} may be given only once"
            ))),
        }
    }

    /// The patient named by `name` (`Patient/<id>`, a URL ending in it, or a bare id).
    pub fn patient(&self, name: &str) -> Result<Option<Uuid>, ApiError> {
        self.one(name)?
            .map(|v| reference_id(v, "Patient", name))
            .transpose()
    }

    /// The searchset Bundle of one page. `next` is where the following page starts, if any.
    pub fn bundle(&self, resources: Vec<Resource>, next: Option<Start>) -> Bundle {
        let first_page =
            self.history.is_empty() && !self.truncated && self.start == Start::default();
        let total = (first_page && next.is_none()).then_some(resources.len() as u64);
        let mut link = vec![BundleLink {
            relation: "self",
            url: self.url(self.cursor_here()),
        }];
        if !first_page {
            link.push(BundleLink {
                relation: "first",
                url: self.url(None),
            });
            let previous = match self.history.split_last() {
                Some((prev, older)) => Some(encode_cursor(older, prev, self.truncated)),
                None if self.truncated => None,
                None => Some(String::new()),
            };
            if let Some(previous) = previous {
                link.push(BundleLink {
                    relation: "previous",
                    url: self.url((!previous.is_empty()).then_some(previous)),
                });
            }
        }
        if let Some(next) = next {
            let mut older = self.history.clone();
            older.push(self.start.clone());
            let mut truncated = self.truncated;
            if older.len() > CURSOR_HISTORY {
                older.drain(..older.len() - CURSOR_HISTORY);
                truncated = true;
            }
            link.push(BundleLink {
                relation: "next",
                url: self.url(Some(encode_cursor(&older, &next, truncated))),
            });
        }
        let mut entry: Vec<BundleEntry> = resources
            .into_iter()
            .map(|resource| BundleEntry {
                full_url: resource
                    .local_reference()
                    .map(|r| format!("{}/{r}", self.base)),
                resource,
                search: EntrySearch { mode: "match" },
            })
            .collect();
        if !self.warnings.is_empty() {
            entry.push(BundleEntry {
                full_url: None,
                resource: Resource::OperationOutcome(OperationOutcome {
                    issue: self.warnings.iter().cloned().map(warning).collect(),
                }),
                search: EntrySearch { mode: "outcome" },
            });
        }
        Bundle {
            resource_type: "Bundle",
            type_: "searchset",
            total,
            link,
            entry,
        }
    }

    fn cursor_here(&self) -> Option<String> {
        if self.history.is_empty() && !self.truncated && self.start == Start::default() {
            None
        } else {
            Some(encode_cursor(&self.history, &self.start, self.truncated))
        }
    }

    /// The absolute URL of this search with `cursor`.
    fn url(&self, cursor: Option<String>) -> String {
        let mut query: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        query.push(format!("_count={}", self.count));
        if let Some(c) = cursor {
            query.push(format!("_cursor={}", encode(&c)));
        }
        format!("{}/{}?{}", self.base, self.kind, query.join("&"))
    }
}

fn encode_cursor(older: &[Start], start: &Start, truncated: bool) -> String {
    let mut lines = vec![if truncated { "1" } else { "0" }.to_owned()];
    lines.extend(older.iter().map(Start::encode));
    lines.push(start.encode());
    B64.encode(lines.join("\n"))
}

fn decode_cursor(cursor: &str) -> Result<(Vec<Start>, bool), ApiError> {
    let bad = || ApiError::BadRequest("_cursor is not a cursor returned by this search".into());
    let text = B64
        .decode(cursor.trim().as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let mut lines = text.split('\n');
    let truncated = match lines.next() {
        Some("0") => false,
        Some("1") => true,
        _ => return Err(bad()),
    };
    let starts = lines
        .map(Start::decode)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(bad)?;
    if starts.is_empty() || starts.len() > CURSOR_HISTORY + 1 {
        return Err(bad());
    }
    Ok((starts, truncated))
}

/// Percent-encodes a query component (everything but RFC 3986 unreserved characters).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The id in a reference to `kind`: `Kind/<id>`, an absolute URL ending in it, or a bare id.
pub fn reference_id(value: &str, kind: &str, param: &str) -> Result<Uuid, ApiError> {
    let v = value.trim();
    let id = match v.rfind(&format!("{kind}/")) {
        Some(at) => &v[at + kind.len() + 1..],
        None if v.contains('/') => {
            return Err(ApiError::BadRequest(format!(
                "{param} must reference a {kind} (`{kind}/<id>` or `<id>`)"
            )))
        }
        None => v,
    };
    Uuid::parse_str(id.split('/').next().unwrap_or(id)).map_err(|_| {
        ApiError::BadRequest(format!(
            "{param}: `{id}` is not a {kind} id (ids are UUIDs)"
        ))
    })
}

/// A FHIR date search prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
}

/// One `date` value: the prefix and the range the value covers, `[from, until)` in UTC, and the
/// same as inclusive days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DateParam {
    pub prefix: Prefix,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

fn bad_date(param: &str, value: &str) -> ApiError {
    ApiError::BadRequest(format!(
        "{param}: `{value}` is not a FHIR date; use an optional prefix (eq, ge, gt, le, lt) \
         followed by YYYY, YYYY-MM, YYYY-MM-DD or a date-time with a time zone"
    ))
}

/// Parses a date search value such as `ge2026-03-01`, `2026`, `lt2026-03-01T10:00:00Z`.
pub fn parse_date(param: &str, value: &str) -> Result<DateParam, ApiError> {
    let v = value.trim();
    let (prefix, rest) = match v.get(..2) {
        Some("eq") => (Prefix::Eq, &v[2..]),
        Some("ge") => (Prefix::Ge, &v[2..]),
        Some("gt") => (Prefix::Gt, &v[2..]),
        Some("le") => (Prefix::Le, &v[2..]),
        Some("lt") => (Prefix::Lt, &v[2..]),
        Some("ne" | "sa" | "eb" | "ap") => {
            return Err(ApiError::BadRequest(format!(
                "{param}: the prefix `{}` is not supported; use eq, ge, gt, le or lt",
                &v[..2]
            )))
        }
        _ => (Prefix::Eq, v),
    };
    let day = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d);
    let year = |s: &str| {
        (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i32>().ok())
            .flatten()
            .filter(|y| (1..=9998).contains(y))
    };
    let (first_day, last_day, from, until) = match rest.len() {
        4 => {
            let y = year(rest).ok_or_else(|| bad_date(param, value))?;
            let first = day(y, 1, 1).ok_or_else(|| bad_date(param, value))?;
            let next = day(y + 1, 1, 1).ok_or_else(|| bad_date(param, value))?;
            (
                first,
                next - Duration::days(1),
                midnight(first),
                midnight(next),
            )
        }
        7 => {
            let y = year(&rest[..4]).ok_or_else(|| bad_date(param, value))?;
            let m: u32 = rest[5..]
                .parse()
                .ok()
                .filter(|_| rest.as_bytes()[4] == b'-')
                .ok_or_else(|| bad_date(param, value))?;
            let first = day(y, m, 1).ok_or_else(|| bad_date(param, value))?;
            let next = if m == 12 {
                day(y + 1, 1, 1)
            } else {
                day(y, m + 1, 1)
            }
            .ok_or_else(|| bad_date(param, value))?;
            (
                first,
                next - Duration::days(1),
                midnight(first),
                midnight(next),
            )
        }
        10 => {
            let d = NaiveDate::parse_from_str(rest, "%Y-%m-%d")
                .ok()
                .filter(|d| (1..=9998).contains(&d.year()))
                .ok_or_else(|| bad_date(param, value))?;
            let next = d + Duration::days(1);
            (d, d, midnight(d), midnight(next))
        }
        _ => {
            let at = DateTime::parse_from_rfc3339(rest)
                .ok()
                .map(|t| t.with_timezone(&Utc))
                .filter(|t| (1..=9998).contains(&t.year()))
                .ok_or_else(|| bad_date(param, value))?;
            // A date-time stands for its second.
            (
                at.date_naive(),
                at.date_naive(),
                at,
                at + Duration::seconds(1),
            )
        }
    };
    Ok(DateParam {
        prefix,
        from,
        until,
        first_day,
        last_day,
    })
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

impl DateParam {
    /// Whether the instant `at` matches.
    pub fn matches(&self, at: DateTime<Utc>) -> bool {
        match self.prefix {
            Prefix::Eq => at >= self.from && at < self.until,
            Prefix::Ge => at >= self.from,
            Prefix::Gt => at >= self.until,
            Prefix::Le => at < self.until,
            Prefix::Lt => at < self.from,
        }
    }

    /// Narrows the inclusive day range `[from, to]` (local days of the hospital) by this value.
    pub fn narrow_days(&self, from: &mut Option<NaiveDate>, to: &mut Option<NaiveDate>) {
        let raise = |d: &mut Option<NaiveDate>, v: NaiveDate| *d = Some(d.map_or(v, |d| d.max(v)));
        let lower = |d: &mut Option<NaiveDate>, v: NaiveDate| *d = Some(d.map_or(v, |d| d.min(v)));
        match self.prefix {
            Prefix::Eq => {
                raise(from, self.first_day);
                lower(to, self.last_day);
            }
            Prefix::Ge => raise(from, self.first_day),
            Prefix::Gt => raise(from, self.last_day + Duration::days(1)),
            Prefix::Le => lower(to, self.last_day),
            Prefix::Lt => lower(to, self.first_day - Duration::days(1)),
        }
    }
}

/// The `Content-Type` of every FHIR answer.
pub fn content_type() -> (header::HeaderName, &'static str) {
    (header::CONTENT_TYPE, super::FHIR_JSON)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_prefixes_and_precisions_parse() {
        let d = parse_date("date", "ge2026-03").unwrap();
        assert_eq!(d.prefix, Prefix::Ge);
        assert_eq!(d.first_day, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        assert_eq!(d.last_day, NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
        assert!(parse_date("date", "2026-02-30").is_err());
        assert!(parse_date("date", "ne2026").is_err());
        assert!(parse_date("date", "yesterday").is_err());
        assert!(parse_date("date", "lt2026-03-01T10:00:00+01:00").is_ok());
    }

    #[test]
    fn references_accept_type_prefixes_and_bare_ids() {
        let id = Uuid::new_v4();
        assert_eq!(
            reference_id(&format!("Patient/{id}"), "Patient", "patient").unwrap(),
            id
        );
        assert_eq!(
            reference_id(&id.to_string(), "Patient", "patient").unwrap(),
            id
        );
        assert!(reference_id(&format!("Group/{id}"), "Patient", "patient").is_err());
    }

    #[test]
    fn a_cursor_round_trips_with_its_history() {
        let older = vec![Start::default()];
        let start = Start {
            inner: Some("abc".into()),
            skip: 3,
        };
        let (starts, truncated) = decode_cursor(&encode_cursor(&older, &start, false)).unwrap();
        assert_eq!(starts, vec![Start::default(), start]);
        assert!(!truncated);
        assert!(decode_cursor("!!").is_err());
    }
}

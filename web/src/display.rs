//! How values are shown and read back: names, dates, ages, local times, enum labels.
//!
//! Dates and times come from the browser (`Date`): `chrono`'s clock does not work on wasm32.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;
use web_sys::js_sys::Intl::DateTimeFormat;
use web_sys::js_sys::{Array, Date, Object, Reflect};
use yew::AttrValue;

use crate::api::ApiError;

/// "Family, Given", as lists and headers show patients.
pub fn patient_name(given: &str, family: &str) -> String {
    format!("{family}, {given}")
}

/// "Given Family", as the chart header shows the patient.
pub fn full_name(given: &str, family: &str) -> String {
    format!("{given} {family}")
}

/// An enum's wire name, e.g. `life_threatening`.
pub fn wire<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// The enum value with wire name `name`, if there is one.
pub fn parse_wire<T: DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// A label made from the wire name: `life_threatening` → "Life threatening".
pub fn label<T: Serialize>(value: &T) -> String {
    humanize(&wire(value))
}

/// `home_visit` → "Home visit".
pub fn humanize(name: &str) -> String {
    let text = name.replace('_', " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// `(wire name, label)` pairs for a `<select>`, after an optional first choice.
pub fn options<T: Serialize>(
    first: Option<(&'static str, &'static str)>,
    values: &[T],
) -> Vec<(AttrValue, AttrValue)> {
    first
        .map(|(value, text)| (AttrValue::Static(value), AttrValue::Static(text)))
        .into_iter()
        .chain(
            values
                .iter()
                .map(|v| (AttrValue::from(wire(v)), AttrValue::from(label(v)))),
        )
        .collect()
}

/// `2024-03-12`.
pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// An optional date, or a dash.
pub fn opt_date(d: Option<NaiveDate>) -> String {
    d.map(date).unwrap_or_else(|| "—".to_owned())
}

/// The browser's current time.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(Date::now() as i64).unwrap_or_default()
}

/// Today in the browser's time zone.
pub fn today() -> NaiveDate {
    let d = Date::new_0();
    NaiveDate::from_ymd_opt(d.get_full_year() as i32, d.get_month() + 1, d.get_date())
        .unwrap_or_default()
}

/// Age in whole years on `today`.
pub fn age(birth: NaiveDate, today: NaiveDate) -> u32 {
    today.years_since(birth).unwrap_or(0)
}

/// The wall-clock time in the browser's time zone at instant `t`.
fn local_naive(t: DateTime<Utc>) -> NaiveDateTime {
    let js = Date::new(&JsValue::from_f64(t.timestamp_millis() as f64));
    // Minutes from local time to UTC (negative east of Greenwich), at that instant.
    let offset = Duration::minutes(js.get_timezone_offset() as i64);
    t.naive_utc() - offset
}

/// `2024-03-12 14:05` in the browser's time zone.
pub fn local_time(t: DateTime<Utc>) -> String {
    local_naive(t).format("%Y-%m-%d %H:%M").to_string()
}

/// `14:05` in the browser's time zone.
pub fn local_clock(t: DateTime<Utc>) -> String {
    local_naive(t).format("%H:%M").to_string()
}

/// The day of instant `t` in the browser's time zone.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    local_naive(t).date()
}

/// `Tue 12 Mar`.
pub fn short_day(d: NaiveDate) -> String {
    d.format("%a %-d %b").to_string()
}

/// `Tuesday 12 March 2024`.
pub fn long_day(d: NaiveDate) -> String {
    d.format("%A %-d %B %Y").to_string()
}

/// An instant as on the wire (`2024-03-12T09:00:00Z`), for `data-` attributes.
pub fn wire_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The browser's IANA time zone (`Europe/Madrid`), if it says.
pub fn browser_time_zone() -> Option<String> {
    let format = DateTimeFormat::new(&Array::new(), &Object::new());
    Reflect::get(&format.resolved_options(), &JsValue::from_str("timeZone"))
        .ok()?
        .as_string()
}

/// `t` as the value of an `<input type="datetime-local">` (`2024-03-12T14:05`).
pub fn local_input_value(t: DateTime<Utc>) -> String {
    local_time(t).replace(' ', "T")
}

/// The value of an `<input type="datetime-local">` (local time) as a UTC instant.
pub fn parse_local_datetime(value: &str) -> Option<DateTime<Utc>> {
    if value.trim().is_empty() {
        return None;
    }
    let ms = Date::new(&JsValue::from_str(value.trim())).get_time();
    if ms.is_nan() {
        return None;
    }
    DateTime::from_timestamp_millis(ms as i64)
}

/// A trimmed text, `None` when empty.
pub fn optional(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// A decimal number as typed (a comma is accepted as decimal separator); the error names the
/// request `field`.
pub fn number(field: &str, value: &str) -> Result<Option<f64>, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .map(Some)
        .ok_or_else(|| ApiError::invalid(field, "Enter a number."))
}

/// The value of an `<input type="date">`; the error names the request `field`.
pub fn parse_date(field: &str, value: &str) -> Result<Option<NaiveDate>, ApiError> {
    match value.trim() {
        "" => Ok(None),
        text => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ApiError::invalid(field, "Enter a date.")),
    }
}

/// A whole number as typed; the error names the request `field`.
pub fn integer(field: &str, value: &str) -> Result<Option<i32>, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<i32>()
        .map(Some)
        .map_err(|_| ApiError::invalid(field, "Enter a whole number."))
}

/// A number to show: no trailing zeros (`37.5`, `80`).
pub fn num(n: f64) -> String {
    let text = format!("{n:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

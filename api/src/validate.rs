//! Input checks shared by every domain. Collects all field errors of a request, so the client
//! can show each next to its field, then fails with one 422 problem.

use hms_api_types::FieldError;

use crate::error::ApiError;

/// Accumulates field errors; [`Check::finish`] turns them into a 422.
#[derive(Default)]
pub struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    pub fn new() -> Self {
        Check::default()
    }

    /// Adds an error for `field`.
    pub fn fail(&mut self, field: &str, message: impl Into<String>) -> &mut Self {
        self.errors.push(FieldError::new(field, message));
        self
    }

    /// A single-line text of `min..=max` characters (after trimming), without control characters.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> &mut Self {
        let len = value.trim().chars().count();
        if len < min {
            if min == 1 {
                self.fail(field, "must not be empty");
            } else {
                self.fail(field, format!("must be at least {min} characters"));
            }
        } else if value.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        } else if value.chars().any(char::is_control) {
            self.fail(field, "must not contain control characters");
        }
        self
    }

    /// A text that may span lines (clinical notes): `1..=max` characters, not only blanks, and
    /// no control characters other than line breaks (`\n`, `\r`) and tabs.
    pub fn multiline(&mut self, field: &str, value: &str, max: usize) -> &mut Self {
        if value.trim().is_empty() {
            self.fail(field, "must not be empty");
        } else if value.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        } else if value
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            self.fail(
                field,
                "must not contain control characters other than line breaks and tabs",
            );
        }
        self
    }

    /// An email address: one `@`, something on both sides, a dot in the domain.
    pub fn email(&mut self, field: &str, value: &str) -> &mut Self {
        let before = self.errors.len();
        self.text(field, value, 3, 254);
        if self.errors.len() == before {
            let value = value.trim();
            let valid = match value.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains('@')
                        && !value.chars().any(char::is_whitespace)
                }
                None => false,
            };
            if !valid {
                self.fail(field, "must be an email address such as name@hospital.org");
            }
        }
        self
    }

    /// A new password: 12 to 1024 characters.
    pub fn new_password(&mut self, field: &str, value: &str) -> &mut Self {
        let len = value.chars().count();
        if len < 12 {
            self.fail(field, "must be at least 12 characters");
        } else if len > 1024 {
            self.fail(field, "must be at most 1024 characters");
        } else if value.contains('\0') {
            self.fail(field, "must not contain NUL characters");
        }
        self
    }

    /// `Ok` when nothing failed, else a 422 with every field error.
    pub fn finish(&mut self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(std::mem::take(&mut self.errors)))
        }
    }
}

/// An optional single-line text of at most `max` characters, trimmed. Empty or blank means
/// none (`None`), but blanks beyond `max` characters are refused like any over-long text, as
/// the schema's `maxLength` does.
pub fn optional_text(
    check: &mut Check,
    field: &str,
    value: Option<String>,
    max: usize,
) -> Option<String> {
    let value = value?;
    let trimmed = value.trim();
    if trimmed.is_empty() && value.chars().count() <= max {
        return None;
    }
    check.text(field, &value, 1, max);
    Some(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_failing_fields_are_reported_together() {
        let mut check = Check::new();
        check
            .text("name", " ", 1, 10)
            .email("email", "not-an-email");

        let Err(ApiError::Validation(errors)) = check.finish() else {
            panic!("expected a validation error");
        };

        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "email"]);
    }

    #[test]
    fn nul_characters_are_rejected_because_postgres_cannot_store_them() {
        assert!(Check::new().text("name", "Ada\0", 1, 10).finish().is_err());
    }

    #[test]
    fn a_plausible_email_passes() {
        assert!(Check::new()
            .email("email", "nia.okafor@hospital.org")
            .finish()
            .is_ok());
        assert!(Check::new().email("email", "a@b").finish().is_err());
    }

    #[test]
    fn multiline_text_keeps_line_breaks_and_tabs_but_not_other_control_characters() {
        assert!(Check::new()
            .multiline("body", "Line one\r\nLine two\n\tindented", 20_000)
            .finish()
            .is_ok());

        for bad in ["bell\u{7}", "nul\0", "  \n  ", ""] {
            assert!(
                Check::new()
                    .multiline("body", bad, 20_000)
                    .finish()
                    .is_err(),
                "{bad:?}"
            );
        }
        assert!(Check::new()
            .multiline("body", &"x".repeat(20_001), 20_000)
            .finish()
            .is_err());
    }

    #[test]
    fn empty_optional_text_is_none_and_other_text_is_trimmed() {
        let mut check = Check::new();

        assert_eq!(optional_text(&mut check, "note", None, 10), None);
        assert_eq!(
            optional_text(&mut check, "note", Some("  ".into()), 10),
            None
        );
        assert_eq!(
            optional_text(&mut check, "note", Some(String::new()), 10),
            None
        );
        assert_eq!(
            optional_text(&mut check, "note", Some(" x ".into()), 10),
            Some("x".into())
        );
        assert!(check.finish().is_ok());
    }

    #[test]
    fn optional_text_is_checked_like_any_text_and_blanks_beyond_the_limit_are_refused() {
        for bad in [" ".repeat(11), "x".repeat(11), "bell\u{7}".into()] {
            let mut check = Check::new();

            optional_text(&mut check, "note", Some(bad.clone()), 10);

            assert!(check.finish().is_err(), "{bad:?}");
        }
    }
}

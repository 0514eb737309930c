// SPDX-License-Identifier: GPL-2.0

//! A cursor over a file's lines that knows their numbers, for errors.

use super::ParseError;

pub struct Lines<'a> {
    lines: Vec<&'a str>,
    next: usize,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        Lines {
            lines: text.lines().collect(),
            next: 0,
        }
    }

    pub fn peek(&self) -> Option<&'a str> {
        self.lines.get(self.next).copied()
    }

    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<&'a str> {
        let line = self.peek()?;
        self.next += 1;
        Some(line)
    }

    /// The next line, which must be there.
    pub fn expect(&mut self, what: &str) -> Result<&'a str, ParseError> {
        self.next()
            .ok_or_else(|| ParseError::new(self.next + 1, format!("file ends before {what}")))
    }

    pub fn error(&self, what: impl Into<String>) -> ParseError {
        ParseError::new(self.next.max(1), what)
    }

    /// Skips empty lines.
    pub fn skip_blank(&mut self) {
        while self.peek().is_some_and(|l| l.trim().is_empty()) {
            self.next += 1;
        }
    }
}

/// The column names of a line, which must be exactly `want`.
pub fn expect_columns(lines: &mut Lines<'_>, want: &[&str]) -> Result<(), ParseError> {
    let line = lines.expect("the column names")?;
    let got: Vec<&str> = line.split_whitespace().collect();
    if got != want {
        return Err(lines.error(format!(
            "columns '{}', expected '{}'",
            got.join(" "),
            want.join(" ")
        )));
    }
    Ok(())
}

/// An unsigned integer field.
pub fn number<T: std::str::FromStr>(
    lines: &Lines<'_>,
    field: &str,
    what: &str,
) -> Result<T, ParseError> {
    field
        .parse()
        .map_err(|_| lines.error(format!("{what} '{field}' is not an unsigned integer")))
}

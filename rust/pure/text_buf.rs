// SPDX-License-Identifier: GPL-2.0

//! A fixed-size text buffer that `write!` can fill, without allocation.

use core::fmt;

/// Up to `N - 1` bytes of text, always followed by a NUL.
#[derive(Clone, Copy)]
pub(crate) struct TextBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> TextBuf<N> {
    pub(crate) const fn new() -> Self {
        TextBuf {
            bytes: [0; N],
            len: 0,
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only `write_str` fills the buffer, with whole `&str`s.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }

    /// The text and its terminating NUL, for C.
    pub(crate) fn as_bytes_with_nul(&self) -> &[u8] {
        &self.bytes[..=self.len]
    }
}

impl<const N: usize> Default for TextBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Write for TextBuf<N> {
    /// Fails, writing nothing, if `s` does not fit with the NUL.
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end >= N {
            return Err(fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

// SPDX-License-Identifier: GPL-2.0

//! The module's version, shared by the kernel module and the host crates.

/// Version of kvm_exit_timing; host tests check it against `Cargo.toml`.
pub(crate) const VERSION: &str = "0.3.1";

const MODINFO_KEY: &[u8] = b"version=";
const MODINFO_LEN: usize = MODINFO_KEY.len() + VERSION.len() + 1;

/// The `version=` modinfo string (NUL-terminated) for `modinfo` to show;
/// 6.12's `module!` macro has no field for it.
pub(crate) const MODINFO: [u8; MODINFO_LEN] = {
    let mut out = [0u8; MODINFO_LEN];
    let version = VERSION.as_bytes();
    let mut i = 0;
    while i < MODINFO_KEY.len() {
        out[i] = MODINFO_KEY[i];
        i += 1;
    }
    let mut j = 0;
    while j < version.len() {
        out[i + j] = version[j];
        j += 1;
    }
    out
};

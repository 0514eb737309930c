// SPDX-License-Identifier: GPL-2.0

//! Plots need a font to lay out and draw their labels, and the arm64
//! targets have none installed: one is built into the binary. It is
//! DejaVu Sans (Debian's fonts-dejavu-core), or the TrueType file
//! KVM_EXIT_STAT_FONT names.

fn main() {
    const DEFAULT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    println!("cargo:rerun-if-env-changed=KVM_EXIT_STAT_FONT");
    let font = std::env::var("KVM_EXIT_STAT_FONT").unwrap_or_else(|_| DEFAULT.to_owned());
    if !std::path::Path::new(&font).is_file() {
        panic!("kvm-exit-stat needs a TrueType font for its plots: {font} is missing (apt-get install fonts-dejavu-core, or set KVM_EXIT_STAT_FONT)");
    }
    println!("cargo:rerun-if-changed={font}");
    println!("cargo:rustc-env=KVM_EXIT_STAT_FONT={font}");
}

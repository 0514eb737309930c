// SPDX-License-Identifier: GPL-2.0

//! A vCPU entry's counts of the traps KVM handled at EL2 (see
//! `pure/el2.rs`): KVM's own counts, less a base taken when timing began
//! or the tables were last reset.

use super::{Status, VcpuEntry, VcpuLinks};
use crate::pure::el2::El2Counts;
use crate::sys::kvm::Vcpu;
use core::sync::atomic::Ordering;

impl VcpuEntry {
    /// The traps KVM handled at EL2 for this entry's vCPU since timing
    /// began or was last reset. `_links` keeps a linked vCPU alive.
    pub(crate) fn el2(&self, links: &VcpuLinks) -> El2Counts {
        match self.linked_vcpu(links) {
            Some(vcpu) => self.el2_counts(vcpu),
            None => self.el2_final(),
        }
    }

    /// What a dead entry's vCPU counted at EL2 (nothing if not dead).
    pub(crate) fn el2_final(&self) -> El2Counts {
        if self.status() == Status::Dead {
            self.stored_el2()
        } else {
            El2Counts::default()
        }
    }

    /// Counts from now on only: the tables are reset.
    pub(crate) fn reset_el2(&self, links: &VcpuLinks) {
        let base = match self.linked_vcpu(links) {
            Some(vcpu) => El2Counts::from_classes(&vcpu.hyp_exits()),
            None => El2Counts::default(),
        };
        self.set_el2(&base);
    }

    /// The vCPU of an attached or live entry, which `_links` keeps alive.
    pub(super) fn linked_vcpu(&self, _links: &VcpuLinks) -> Option<&Vcpu> {
        if !matches!(self.status(), Status::Attached | Status::Live) {
            return None;
        }
        // SAFETY: an attached or live entry's vCPU is alive while
        // `VcpuLinks` is held: its destruction marks the entry dead under
        // the lock that holds it (see the module doc).
        Some(unsafe { Vcpu::from_raw(self.vcpu.load(Ordering::Acquire)) })
    }

    /// `vcpu`'s counts since the base in `el2`.
    pub(super) fn el2_counts(&self, vcpu: &Vcpu) -> El2Counts {
        El2Counts::from_classes(&vcpu.hyp_exits()).since(&self.stored_el2())
    }

    fn stored_el2(&self) -> El2Counts {
        El2Counts(self.el2.each_ref().map(|a| a.load(Ordering::Relaxed)))
    }

    pub(super) fn set_el2(&self, c: &El2Counts) {
        for (a, &n) in self.el2.iter().zip(c.0.iter()) {
            a.store(n, Ordering::Relaxed);
        }
    }
}

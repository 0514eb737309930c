// SPDX-License-Identifier: GPL-2.0

//! Machine-readable forms of a snapshot or a report.

pub mod csv;
pub mod openmetrics;

/// The formats `snapshot` and `report` write.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The exit table, as the 2016 study printed it.
    Text,
    /// The parsed tree (snapshot) or the interval's rows (report).
    Json,
    /// One line per table row and breakdown key.
    Csv,
    /// OpenMetrics 1.0 text, for a Prometheus scrape.
    Openmetrics,
    /// The same metrics in Prometheus' text format 0.0.4, for
    /// node_exporter's textfile collector and promtool.
    Prometheus,
}

//! Markdown output: one table per measurement, cells `median (min–max)` over
//! rounds, and the ratios of the medians.

use crate::measure::Summary;

/// A finished Markdown table.
pub struct Table {
    pub title: String,
    pub note: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn markdown(&self) -> String {
        let mut s = format!("### {}\n\n", self.title);
        if !self.note.is_empty() {
            s += &format!("{}\n\n", self.note);
        }
        s += &format!("| {} |\n", self.header.join(" | "));
        s += &format!(
            "|{}\n",
            self.header
                .iter()
                .enumerate()
                .map(|(i, _)| if i == 0 { " --- |" } else { " ---: |" })
                .collect::<String>()
        );
        for row in &self.rows {
            s += &format!("| {} |\n", row.join(" | "));
        }
        s
    }
}

/// The three clients side by side, with the floor (raw hyper) as reference.
pub struct Comparison {
    table: Table,
}

impl Comparison {
    pub fn new(title: &str, note: &str) -> Self {
        Self::with_header(
            title,
            note,
            &[
                "",
                "ours",
                "bollard",
                "raw hyper (floor)",
                "ours/floor",
                "bollard/floor",
                "ours/bollard",
            ],
        )
    }

    fn with_header(title: &str, note: &str, header: &[&str]) -> Self {
        Comparison {
            table: Table {
                title: title.into(),
                note: note.into(),
                header: header.iter().map(|h| h.to_string()).collect(),
                rows: Vec::new(),
            },
        }
    }

    /// `values`: ours, bollard, raw hyper.
    pub fn row(&mut self, label: &str, values: [Option<Summary>; 3]) {
        let [ours, bollard, raw] = values;
        self.table.rows.push(vec![
            label.into(),
            cell(ours),
            cell(bollard),
            cell(raw),
            ratio(ours, raw),
            ratio(bollard, raw),
            ratio(ours, bollard),
        ]);
    }

    /// With the fair floor (raw hyper decoding the generated types) as the
    /// reference and the minimal-decode floor as a second one.
    pub fn with_fair_floor(title: &str, note: &str) -> Self {
        Self::with_header(
            title,
            note,
            &[
                "",
                "ours",
                "bollard",
                "fair floor (raw hyper, generated types)",
                "raw hyper (minimal decode)",
                "ours/fair floor",
                "bollard/fair floor",
                "ours/minimal",
                "ours/bollard",
            ],
        )
    }

    /// `values`: ours, bollard, fair floor, raw hyper (a table made by
    /// [`Comparison::with_fair_floor`]).
    pub fn row_with_fair_floor(&mut self, label: &str, values: [Option<Summary>; 4]) {
        let [ours, bollard, fair, raw] = values;
        self.table.rows.push(vec![
            label.into(),
            cell(ours),
            cell(bollard),
            cell(fair),
            cell(raw),
            ratio(ours, fair),
            ratio(bollard, fair),
            ratio(ours, raw),
            ratio(ours, bollard),
        ]);
    }

    pub fn into_table(self) -> Table {
        self.table
    }
}

/// The ratio of two medians, two decimals.
fn ratio(a: Option<Summary>, b: Option<Summary>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b.median != 0.0 => format!("{:.2}", a.median / b.median),
        _ => "–".into(),
    }
}

/// `median (min–max)`, or the median alone for a single measurement.
pub fn cell(s: Option<Summary>) -> String {
    match s {
        None => "–".into(),
        Some(s) if s.n == 1 => num(s.median),
        Some(s) => format!("{} ({}–{})", num(s.median), num(s.min), num(s.max)),
    }
}

/// Three significant digits or so, without a pointless fraction.
pub fn num(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

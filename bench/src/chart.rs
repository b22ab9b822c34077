//! The comparison chart as a hand-written SVG: for each device latency, throughput and p50
//! latency of netmiko, naas (fresh and reused sessions) and direct SSH, as horizontal bars
//! on log scales (the systems differ by orders of magnitude).

use std::fmt::Write as _;

use crate::report::{Report, Row, Scenario};

const SERIES: [(Scenario, &str, &str); 4] = [
    (Scenario::Netmiko, "netmiko (thread pool)", "#8c8c8c"),
    (Scenario::Fresh, "naas, fresh sessions", "#1f77b4"),
    (Scenario::Reused, "naas, reused sessions", "#2ca02c"),
    (Scenario::Direct, "direct SSH (limit)", "#ff7f0e"),
];
const WIDTH: f64 = 860.0;
/// A panel's title, the value it plots and that value's unit.
type Panel = (&'static str, fn(&Row) -> f64, &'static str);
const LABEL: f64 = 190.0;
const PLOT: f64 = 560.0;
const BAR: f64 = 16.0;
const GAP: f64 = 4.0;

pub fn svg(report: &Report) -> String {
    let mut latencies: Vec<u64> = report
        .rows
        .iter()
        .filter(|r| SERIES.iter().any(|(s, _, _)| *s == r.scenario))
        .filter_map(|r| r.latency_ms)
        .collect();
    latencies.sort_unstable();
    latencies.dedup();
    let rows_of = |latency: u64| -> Vec<(&'static str, &'static str, &Row)> {
        SERIES
            .iter()
            .filter_map(|(scenario, name, color)| {
                report
                    .rows
                    .iter()
                    .find(|r| r.scenario == *scenario && r.latency_ms == Some(latency) && r.per_s > 0.0)
                    .map(|r| (*name, *color, r))
            })
            .collect()
    };
    let mut body = String::new();
    let mut y = 74.0;
    let panels: [Panel; 2] = [
        ("Throughput, jobs/s (log scale, higher is better)", |r| r.per_s, "/s"),
        ("Latency p50, submit to result, ms (log scale, lower is better)", |r| r.p50_ms, " ms"),
    ];
    for (title, value, unit) in panels {
        let values: Vec<f64> =
            latencies.iter().flat_map(|l| rows_of(*l)).map(|(_, _, r)| value(r)).filter(|v| *v > 0.0).collect();
        let (lo, hi) = bounds(&values);
        let _ = writeln!(body, r#"<text x="16" y="{y}" font-size="15" font-weight="bold">{title}</text>"#);
        y += 12.0;
        let top = y;
        let groups_height: f64 =
            latencies.iter().map(|l| 22.0 + rows_of(*l).len() as f64 * (BAR + GAP) + 8.0).sum::<f64>();
        let mut decade = lo;
        while decade <= hi * 1.0001 {
            let x = LABEL + scale(decade, lo, hi);
            let _ = writeln!(
                body,
                r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#555">{}</text>"##,
                top + groups_height,
                top + groups_height + 14.0,
                short(decade)
            );
            decade *= 10.0;
        }
        for latency in &latencies {
            y += 18.0;
            let _ = writeln!(
                body,
                r#"<text x="16" y="{y}" font-size="12" font-style="italic">device latency {latency} ms per command</text>"#
            );
            y += 4.0;
            for (name, color, row) in rows_of(*latency) {
                let v = value(row);
                let w = if v > 0.0 { scale(v, lo, hi).max(1.0) } else { 0.0 };
                let _ = writeln!(
                    body,
                    r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end">{name}</text><rect x="{LABEL}" y="{y:.1}" width="{w:.1}" height="{BAR}" fill="{color}"/><text x="{:.1}" y="{:.1}" font-size="11">{}{unit}</text>"##,
                    LABEL - 8.0,
                    y + BAR - 4.0,
                    LABEL + w + 6.0,
                    y + BAR - 4.0,
                    number(v)
                );
                y += BAR + GAP;
            }
            y += 8.0;
        }
        y += 48.0;
    }
    let subtitle = format!(
        "{} · {} jobs in flight per system · generated {}",
        report.machine.describe(),
        report.rows.iter().find(|r| r.scenario == Scenario::Fresh).map_or(0, |r| r.concurrency),
        report.generated_at
    );
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{h:.0}" viewBox="0 0 {WIDTH} {h:.0}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="16" y="24" font-size="17" font-weight="bold">naas vs netmiko vs direct SSH: show version on simulated IOS devices</text>
<text x="16" y="42" font-size="11" fill="#555">{}</text>
{body}</svg>
"##,
        escape(&subtitle),
        h = y
    )
}

/// Powers of ten around the values.
fn bounds(values: &[f64]) -> (f64, f64) {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(0.0, f64::max);
    if !min.is_finite() || max <= 0.0 {
        return (1.0, 10.0);
    }
    let lo = 10f64.powf(min.log10().floor());
    let hi = 10f64.powf(max.log10().ceil()).max(lo * 10.0);
    (lo, hi)
}

fn scale(v: f64, lo: f64, hi: f64) -> f64 {
    ((v.log10() - lo.log10()) / (hi.log10() - lo.log10())).clamp(0.0, 1.0) * PLOT
}

fn short(v: f64) -> String {
    if v >= 1000.0 { format!("{}k", v / 1000.0) } else { format!("{v}") }
}

fn number(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_bounds_are_decades() {
        assert_eq!(bounds(&[3.0, 4200.0]), (1.0, 10_000.0));
        assert_eq!(bounds(&[0.5, 0.7]), (0.1, 1.0));
        assert_eq!(bounds(&[]), (1.0, 10.0));
        assert_eq!(scale(100.0, 1.0, 10_000.0), PLOT / 2.0);
    }
}
